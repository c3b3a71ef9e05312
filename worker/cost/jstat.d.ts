// jStat ships no types; this declares the one function the forecast uses.
declare module "jstat" {
  const jStat: {
    studentt: { inv(p: number, degreesOfFreedom: number): number };
  };
  export default jStat;
}
