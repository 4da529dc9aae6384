# error: 4:3: judge "j": missing required argument min_samples
# error: 15:5: min_samples = 0 is not a whole number of at least 1
service "svc" {
  judge "j" {
    method    = "fisher"
    events    = "e"
    trials    = "t"
    direction = "increase"
  }
  judge "k" {
    method      = "fisher"
    events      = "e"
    trials      = "t"
    direction   = "increase"
    min_samples = 0
  }
}
