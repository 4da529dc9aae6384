# Every problem in a file is reported, not only the first.
# error: 9:5: unknown category "safety"
# error: 12:5: for = "100ms" is shorter than evaluation_interval "1s"
# error: 13:5: unknown action "stop"
# error: 18:7: weight = 101 is outside 0-100
service "svc" {
  evaluation_interval = "1s"
  trigger "t" {
    category  = "safety"
    query     = "up"
    threshold = 1
    for       = "100ms"
    action    = "stop"
    condition = "above"
  }
  canary "c" {
    step {
      weight = 101
      bake   = "30s"
    }
  }
}
