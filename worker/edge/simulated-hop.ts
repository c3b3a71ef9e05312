// The request header of the latency bench's simulated Worker → Worker hop (worker/edge/local.ts,
// dev/bench/latency.ts): one-way ms, honoured in development and test only.
export const SIMULATED_HOP_HEADER = "x-simulated-hop-ms";
