# error: 8:5: samples is not used here; remove it, samples is used only by method = "mann_whitney"
# error: 16:5: events is not used here
service "svc" {
  judge "rates" {
    method      = "fisher"
    events      = "e"
    trials      = "t"
    samples     = "s"
    direction   = "increase"
    min_samples = 100
  }
  judge "latency" {
    method      = "mann_whitney"
    samples     = "s"
    direction   = "increase"
    events      = "e"
    min_samples = 20
  }
}
