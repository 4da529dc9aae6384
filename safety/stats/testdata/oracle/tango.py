"""Reference values for Tango's score statistic and interval (paired difference).

Run: /usr/bin/python3 safety/stats/testdata/oracle/tango.py   (Debian python3-scipy)

Independent of the closed form used in tango.go: the restricted maximum-likelihood
estimate under H0 is found numerically as the root of the restricted score equation
with scipy.optimize.brentq, and the interval by scipy.optimize.brentq on
Z(d) = +-z. Orientation is Vigil's: Delta = p_candidate - p_current = (c - b)/n with
b = current right / candidate wrong and c = current wrong / candidate right.
Under H0 Delta = d: P(c-cell) = P(b-cell) + d; the free parameter is q = P(b-cell).
"""
import math
from scipy.optimize import brentq
from scipy.stats import norm


def restricted_q(b, c, n, d):
    """Root of the restricted score equation d/dq log L = b/q + c/(q+d) - 2a/(1-2q-d) = 0,
    which decreases in q across the feasible interval (max(0, -d), (1-d)/2)."""
    a = n - b - c
    lo, hi = max(0.0, -d), (1 - d) / 2
    def score(q):
        s = 0.0
        if b:
            s += b / q if q > 0 else math.inf
        if c:
            s += c / (q + d) if q + d > 0 else math.inf
        if a:
            s -= 2 * a / (1 - 2 * q - d) if 1 - 2 * q - d > 0 else math.inf
        return s
    width = hi - lo
    x0, x1 = lo + width * 1e-15, hi - width * 1e-15
    f0, f1 = score(x0), score(x1)
    if f0 <= 0:
        return lo
    if f1 >= 0:
        return hi
    return brentq(score, x0, x1, xtol=1e-300, rtol=8.9e-16, maxiter=500)


def z(b, c, n, d):
    q = restricted_q(b, c, n, d)
    num = c - b - n * d
    if num == 0:
        return 0.0
    return num / math.sqrt(n * (2 * q + d * (1 - d)))


def interval(b, c, n, level):
    zz = norm.ppf(0.5 + level / 2)
    est = (c - b) / n
    eps = 1e-9
    inner = min(max(est, -1 + eps), 1 - eps)
    lo = -1.0 if est <= -1 + eps or z(b, c, n, -1 + eps) <= zz else brentq(lambda d: z(b, c, n, d) - zz, -1 + eps, inner, xtol=1e-13)
    hi = 1.0 if est >= 1 - eps or z(b, c, n, 1 - eps) >= -zz else brentq(lambda d: z(b, c, n, d) + zz, inner, 1 - eps, xtol=1e-13)
    return lo, est, hi


cases = [(6, 16, 161, 0.95), (16, 6, 161, 0.95), (0, 0, 100, 0.95), (0, 5, 40, 0.95), (5, 0, 40, 0.95),
         (3, 3, 10, 0.90), (30, 10, 500, 0.99), (1, 0, 1, 0.95), (0, 1, 1, 0.95), (12, 20, 2000, 0.95)]
print("// intervals: tango.py interval(b, c, n, level) (score-equation root for the restricted MLE + brentq)")
for b, c, n, lv in cases:
    lo, est, hi = interval(b, c, n, lv)
    print(f"{{p: PairedCounts{{B: {b}, C: {c}, N: {n}}}, level: {lv}, lower: {lo:.12g}, est: {est:.12g}, upper: {hi:.12g}}}, // tango.py interval({b}, {c}, {n}, {lv})")
print("// statistics: tango.py z(b, c, n, d0)")
for b, c, n, d in [(6, 16, 161, 0.0), (6, 16, 161, -0.05), (16, 6, 161, -0.05), (0, 0, 100, 0.02), (0, 5, 40, 0.1),
                   (30, 10, 500, -0.1), (12, 20, 2000, -0.02), (5, 0, 40, -0.3)]:
    print(f"{{p: PairedCounts{{B: {b}, C: {c}, N: {n}}}, d0: {d}, z: {z(b, c, n, d):.12g}}}, // tango.py z({b}, {c}, {n}, {d})")
