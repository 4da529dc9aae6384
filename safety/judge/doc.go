// Package judge runs a policy's statistical judges: comparisons of the candidate version
// of a service with its baseline version over a window (the bake of a canary step), on
// data from Prometheus.
//
// Evaluate renders the judge's queries for each arm (candidate and baseline: the same query
// with ${version} set to each), runs them through a metrics.Source, and decides with package
// stats:
//
//   - farrington_manning: Events and Trials as instant queries at the window's end with
//     ${interval} = the window's length; Fail or Pass on the Farrington-Manning confidence
//     interval of the difference of event rates against the margin.
//   - fisher: the same counts; Fail when Fisher's exact test finds the candidate worse and
//     the difference exceeds the margin, Pass on a conservative exact (Clopper-Pearson,
//     Bonferroni) interval of the difference within the margin.
//   - mann_whitney: Samples as a range query over the window, one value per Window.Step,
//     with ${interval} = Window.Step; stats.ClassifyMetric on the Hodges-Lehmann interval
//     with the margin as effect-size floor.
//   - msprt and sprt: Events and Trials as range queries with ${interval} = Window.Step,
//     fed to the sequential test as one look per step, in time order.
//
// A query that fails or has no data gives a Result with Error set and Outcome
// Inconclusive: a measurement error is never a pass. Fewer than MinSamples trials (or
// samples) in an arm is Inconclusive.
//
// The methods, and how each reads its data, are documented in docs/triggers.md.
package judge
