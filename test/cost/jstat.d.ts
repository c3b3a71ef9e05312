// jStat ships no types; this declares the one function test/cost/student-t.test.ts compares with.
// jstat is a devDependency only: the Worker computes the quantile itself (worker/cost/student-t.ts).
declare module "jstat" {
  const jStat: {
    studentt: { inv(p: number, degreesOfFreedom: number): number };
  };
  export default jStat;
}
