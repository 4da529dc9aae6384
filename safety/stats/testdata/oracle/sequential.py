"""Reference values for Wald's SPRT and the mSPRT monitors.

Run: /usr/bin/python3 safety/stats/testdata/oracle/sequential.py

Both follow the formulas in the package documentation (Wald 1945; Johari et al. 2022),
recomputed here from scratch with numpy (sample variances with ddof=1) so the Go state
updates (Welford, batch merges, running minimum) are checked against direct sums.
"""
import math
import numpy as np

# --- Wald SPRT, p0 = 0.01, p1 = 0.03, alpha = 0.05, beta = 0.2 ---
p0, p1, a, b = 0.01, 0.03, 0.05, 0.2
lower, upper = math.log(b / (1 - a)), math.log((1 - b) / a)
print(f"// SPRT bounds: log({b}/(1-{a})) = {lower:.15g}, log((1-{b})/{a}) = {upper:.15g}")
for x, n in [(0, 0), (0, 100), (3, 100), (5, 100), (0, 160), (7, 150), (1, 1), (0, 1)]:
    llr = x * math.log(p1 / p0) + (n - x) * math.log((1 - p1) / (1 - p0))
    print(f"{{events: {x}, trials: {n}, llr: {llr:.15g}}}, // {x}*log({p1}/{p0}) + ({n}-{x})*log((1-{p1})/(1-{p0}))")

# --- mSPRT for two streams, tau2 = 0.5, min pairs 3 ---
canary = [1.2, 0.4, 2.1, 1.9, 1.4, 2.6, 1.1, 2.2, 1.7, 2.4, 1.8, 2.9]
baseline = [0.9, 1.1, 0.7, 1.3, 0.2, 1.0, 0.8, 1.5, 0.6, 1.2, 0.4, 0.9]
tau2, min_pairs = 0.5, 3
p = 1.0
print(f"// mSPRT tau2 = {tau2}, MinPairs = {min_pairs}; canary = {canary}; baseline = {baseline}")
print("// after each pair n: V = var(canary[:n], ddof=1) + var(baseline[:n], ddof=1), zbar = mean difference,")
print("// Lambda = sqrt(V/(V + n tau2)) exp(n^2 tau2 zbar^2 / (2 V (V + n tau2))), p = min(p, 1/Lambda)")
for n in range(1, len(canary) + 1):
    if n >= min_pairs:
        c, bl = np.array(canary[:n]), np.array(baseline[:n])
        V = c.var(ddof=1) + bl.var(ddof=1)
        zbar = c.mean() - bl.mean()
        lam = math.sqrt(V / (V + n * tau2)) * math.exp(n * n * tau2 * zbar ** 2 / (2 * V * (V + n * tau2)))
        p = min(p, 1 / lam)
        print(f"{{n: {n}, logLambda: {math.log(lam):.15g}, p: {p:.15g}}},")
    else:
        print(f"{{n: {n}, logLambda: 0, p: 1}},")

# --- Bernoulli-rate mSPRT, tau2 = 1e-4 ---
tau2 = 1e-4
batches = [((0, 200), (0, 200)), ((1, 200), (0, 200)), ((3, 300), (1, 300)), ((4, 300), (0, 300)), ((6, 500), (2, 500))]
ce = ct = be = bt = 0
p = 1.0
print(f"// mSPRT rate tau2 = {tau2}; cumulative counts; v = pbar (1 - pbar) (1/nc + 1/nb), theta = pc - pb,")
print("// logLambda = 0.5 log(v/(v + tau2)) + tau2 theta^2 / (2 v (v + tau2)) (0 when v = 0), p = min(p, exp(-logLambda))")
for (cx, cn), (bx, bn) in batches:
    ce, ct, be, bt = ce + cx, ct + cn, be + bx, bt + bn
    pbar = (ce + be) / (ct + bt)
    v = pbar * (1 - pbar) * (1 / ct + 1 / bt)
    theta = ce / ct - be / bt
    ll = 0.0 if v == 0 else 0.5 * math.log(v / (v + tau2)) + tau2 * theta ** 2 / (2 * v * (v + tau2))
    p = min(p, math.exp(-ll))
    print(f"{{canary: ArmCounts{{{cx}, {cn}}}, baseline: ArmCounts{{{bx}, {bn}}}, logLambda: {ll:.15g}, p: {p:.15g}}},")
