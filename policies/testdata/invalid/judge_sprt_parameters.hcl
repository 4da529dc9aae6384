# error: 5:3: judge "signal": missing required argument beta
# error: 11:5: p1 = 0.01 is not above p0 = 0.05
# error: 19:5: margin is not used here
service "svc" {
  judge "signal" {
    method      = "sprt"
    events      = "e"
    trials      = "t"
    direction   = "increase"
    p0          = 0.05
    p1          = 0.01
    min_samples = 100
  }
  judge "rates" {
    method      = "sprt"
    events      = "e"
    trials      = "t"
    direction   = "increase"
    margin      = 0.01
    p0          = 0.01
    p1          = 0.05
    beta        = 0.2
    min_samples = 100
  }
}
