# error: 5:5: unknown method "welch"
# error: 8:5: unknown direction "up"; use "increase", "decrease" or "either"
service "svc" {
  judge "j" {
    method      = "welch"
    events      = "e"
    trials      = "t"
    direction   = "up"
    min_samples = 100
  }
}
