/** The binomial coefficient C(n, k) = n! / (k!·(n − k)!), as a product of k ratios rounded to the integer it is. */
export function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}
