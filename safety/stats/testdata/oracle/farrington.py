"""Reference values for the Farrington-Manning score test and interval
(two independent proportions, canary minus baseline).

Run: /usr/bin/python3 safety/stats/testdata/oracle/farrington.py   (Debian python3-scipy,
python3-statsmodels)

statsmodels <= 0.14 is wrong for a non-zero null difference (statsmodels#10269), so it is
not the oracle here. Instead the restricted maximum-likelihood estimate under
H0: p1 - p2 = delta is the root, found with scipy.optimize.brentq, of the restricted score
equation in p1 (p2 = p1 - delta):
    x1/p1 - (n1-x1)/(1-p1) + x2/(p1-delta) - (n2-x2)/(1-p1+delta) = 0,
which decreases in p1 over (max(0, delta), min(1, 1+delta)); this is independent of the
Miettinen-Nurminen cubic closed form used in farrington.go. Z uses the Farrington-Manning
variance (no N/(N-1) factor). The interval inverts |Z(delta)| <= z with brentq.
For delta = 0 only, statsmodels' score test (correction=False) is printed as a cross-check.
"""
import math
from scipy.optimize import brentq
from scipy.stats import norm
from statsmodels.stats.proportion import test_proportions_2indep


def restricted_p1(x1, n1, x2, n2, delta):
    lo, hi = max(0.0, delta), min(1.0, 1.0 + delta)
    def score(p1):
        p2 = p1 - delta
        s = 0.0
        for k, p, sign in ((x1, p1, 1), (n1 - x1, 1 - p1, -1), (x2, p2, 1), (n2 - x2, 1 - p2, -1)):
            if k:
                s += sign * (k / p if p > 0 else math.inf)
        return s
    width = hi - lo
    a, b = lo + width * 1e-15, hi - width * 1e-15
    if score(a) <= 0:
        return lo
    if score(b) >= 0:
        return hi
    return brentq(score, a, b, xtol=1e-300, rtol=8.9e-16, maxiter=500)


def z(x1, n1, x2, n2, delta):
    p1, p2 = x1 / n1, x2 / n2
    r1 = restricted_p1(x1, n1, x2, n2, delta)
    r2 = r1 - delta
    num = p1 - p2 - delta
    if num == 0:
        return 0.0
    v = r1 * (1 - r1) / n1 + r2 * (1 - r2) / n2
    return num / math.sqrt(v) if v > 0 else math.copysign(math.inf, num)


def interval(x1, n1, x2, n2, level):
    zz = norm.ppf(0.5 + level / 2)
    est = x1 / n1 - x2 / n2
    eps = 1e-9
    inner = min(max(est, -1 + eps), 1 - eps)
    lo = -1.0 if est <= -1 + eps or z(x1, n1, x2, n2, -1 + eps) <= zz else brentq(lambda d: z(x1, n1, x2, n2, d) - zz, -1 + eps, inner, xtol=1e-14)
    hi = 1.0 if est >= 1 - eps or z(x1, n1, x2, n2, 1 - eps) >= -zz else brentq(lambda d: z(x1, n1, x2, n2, d) + zz, inner, 1 - eps, xtol=1e-14)
    return lo, est, hi


tests = [  # canary x1/n1, baseline x2/n2, delta
    (12, 1000, 5, 1000, 0.0), (12, 1000, 5, 1000, 0.01), (12, 1000, 5, 1000, -0.005),
    (5, 1000, 0, 1000, 0.0), (5, 1000, 0, 1000, 0.002), (0, 1000, 0, 1000, 0.01), (0, 1000, 0, 1000, -0.01),
    (40, 200, 25, 180, 0.05), (7, 20, 2, 25, 0.1), (300, 10000, 250, 9000, 0.003), (1, 1, 0, 1, 0.5),
]
print("// score statistics: farrington.py z(x1, n1, x2, n2, delta) (restricted MLE by brentq on the score equation)")
for x1, n1, x2, n2, d in tests:
    print(f"{{canary: ArmCounts{{{x1}, {n1}}}, baseline: ArmCounts{{{x2}, {n2}}}, delta: {d}, z: {z(x1, n1, x2, n2, d):.12g}}}, // farrington.py z({x1}, {n1}, {x2}, {n2}, {d})")
print("// intervals: farrington.py interval(x1, n1, x2, n2, level)")
for x1, n1, x2, n2, lv in [(12, 1000, 5, 1000, 0.95), (5, 1000, 0, 1000, 0.95), (0, 1000, 0, 1000, 0.95), (40, 200, 25, 180, 0.90),
                           (7, 20, 2, 25, 0.99), (300, 10000, 250, 9000, 0.95), (1, 1, 0, 1, 0.95), (0, 50, 50, 50, 0.95)]:
    lo, est, hi = interval(x1, n1, x2, n2, lv)
    print(f"{{canary: ArmCounts{{{x1}, {n1}}}, baseline: ArmCounts{{{x2}, {n2}}}, level: {lv}, lower: {lo:.12g}, est: {est:.12g}, upper: {hi:.12g}}}, // farrington.py interval({x1}, {n1}, {x2}, {n2}, {lv})")
print("// cross-check at delta = 0 (restricted MLE = pooled rate): statsmodels test_proportions_2indep(x1, n1, x2, n2,")
print("// value=0, method='score', compare='diff', correction=False).statistic uses the N/(N-1) variance factor, so it is")
print("// rescaled by sqrt(N/(N-1)) here; the pooled two-proportion z (R prop.test(correct = FALSE), z^2 = X-squared) is shown too.")
for x1, n1, x2, n2, d in tests:
    if d == 0 and x1 > 0 and x2 > 0:
        r = test_proportions_2indep(x1, n1, x2, n2, value=0, method="score", compare="diff", correction=False)
        big_n = n1 + n2
        pooled = (x1 + x2) / big_n
        zp = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        print(f"//   ({x1}, {n1}, {x2}, {n2}): statsmodels rescaled {r.statistic * math.sqrt(big_n / (big_n - 1)):.12g}, pooled z {zp:.12g}, brentq {z(x1, n1, x2, n2, 0.0):.12g}")
