// Modified Bessel functions I0 and I1 of a complex argument by their power
// series, for the skin-effect internal impedance of a round conductor (Deri
// earth model). The series converge for every argument; callers only use
// |z| <= 35, where OpenDSS switches to I0/I1 = 1.

export interface Complex {
  re: number;
  im: number;
}

const EPS_SQR = 1e-40;
const MAX_TERMS = 1000;

/** I0(z) = sum (z^2/4)^k / (k!)^2 */
export function besselI0(z: Complex): Complex {
  const qr = (z.re * z.re - z.im * z.im) / 4;
  const qi = (2 * z.re * z.im) / 4;
  let tr = 1;
  let ti = 0;
  let sr = 1;
  let si = 0;
  for (let k = 1; k <= MAX_TERMS; k++) {
    const nr = (tr * qr - ti * qi) / (k * k);
    const ni = (tr * qi + ti * qr) / (k * k);
    tr = nr;
    ti = ni;
    sr += tr;
    si += ti;
    if (tr * tr + ti * ti < EPS_SQR * (sr * sr + si * si)) break;
  }
  return { re: sr, im: si };
}

/** I1(z) = (z/2) sum (z^2/4)^k / (k! (k+1)!) */
export function besselI1(z: Complex): Complex {
  const qr = (z.re * z.re - z.im * z.im) / 4;
  const qi = (2 * z.re * z.im) / 4;
  let tr = z.re / 2;
  let ti = z.im / 2;
  let sr = tr;
  let si = ti;
  for (let k = 1; k <= MAX_TERMS; k++) {
    const d = k * (k + 1);
    const nr = (tr * qr - ti * qi) / d;
    const ni = (tr * qi + ti * qr) / d;
    tr = nr;
    ti = ni;
    sr += tr;
    si += ti;
    if (tr * tr + ti * ti < EPS_SQR * (sr * sr + si * si)) break;
  }
  return { re: sr, im: si };
}
