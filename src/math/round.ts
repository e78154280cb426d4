/** Round half to even, as ONNX Round, numpy and torchvision's crop offset do (2.5 → 2, 3.5 → 4, −2.5 → −2). */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
}
