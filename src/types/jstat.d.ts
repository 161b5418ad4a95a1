// Minimal typings for the parts of jstat this library uses (the package ships none).
declare module 'jstat' {
  interface Distribution {
    cdf(x: number, ...params: number[]): number;
    pdf(x: number, ...params: number[]): number;
    inv(p: number, ...params: number[]): number;
  }
  const jStat: {
    normal: Distribution;
    studentt: Distribution;
    chisquare: Distribution;
    binomial: { pdf(k: number, n: number, p: number): number; cdf(k: number, n: number, p: number): number };
    erfc(x: number): number;
    erf(x: number): number;
    [key: string]: unknown;
  };
  const _default: typeof jStat & { jStat?: typeof jStat };
  export default _default;
}
