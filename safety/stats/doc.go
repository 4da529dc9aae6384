// Package stats holds the statistical judges Vigil uses to decide whether a
// clinical model rollout may advance: binomial intervals, paired and
// independent comparisons of proportions, rank tests with Hodges-Lehmann
// shifts, sequential tests that may be watched continuously, group-sequential
// boundaries and DeLong's comparison of ROC curves.
//
// Every function is pure over counts and samples, except the sequential
// monitors (MSPRT, MSPRTRate, SPRT), which are stateful and not safe for
// concurrent use.
//
// # Conventions
//
// Orientation. Comparisons are always "candidate (or canary) against current
// (or baseline)". In paired comparisons b counts the cases the current model
// got right and the candidate got wrong, c the reverse; differences of
// proportions are candidate minus current, so a negative difference means the
// candidate is worse. In independent comparisons of event rates (errors,
// alerts) the difference is canary rate minus baseline rate, so a positive
// difference means the canary is worse.
//
// Outcome. Decisions use the tri-state Outcome. Its zero value is
// Inconclusive, and Inconclusive is never a pass: it means "not enough
// evidence either way" and comes with a Reason. Confidence-bound judges
// (ProportionGoal, TangoNonInferiority, RateNonInferiority, ClassifyMetric)
// Pass only when a confidence bound clears the pre-specified goal or margin,
// and Fail only when the opposite bound is beyond it. Hypothesis tests
// (McNemar*, FisherExact, FarringtonManning, MannWhitney, DeLongTest) report
// Fail when the null hypothesis is rejected in the harmful direction, Pass
// when it is rejected in the beneficial direction, and Inconclusive when it is
// not rejected: a test that finds no difference has not shown that there is
// none.
//
// Undecidable data. When the data cannot decide (no discordant pairs, a
// sample below the stated minimum, all values tied, zero variance, a NaN in a
// sample) the result's Outcome is Inconclusive with a Reason, and statistics
// the data leave undefined are NaN (encoding/json rejects NaN: encode such a
// result only after checking its Outcome).
//
// Invalid input. Arguments outside their domain (a negative count, successes
// above trials, a level or alpha outside (0, 1), a mismatched length) give an
// *InputError that names the function, the argument and its value, e.g.
// "wilson: successes 51 > trials 50 (successes must lie in [0, trials])".
// Every such error wraps ErrInvalidInput.
package stats
