# error: 10:5: trigger "error_rate": for = "500ms" is shorter than evaluation_interval "1s"; use 0s (immediate) or at least 1s
service "svc" {
  evaluation_interval = "1s"
  trigger "error_rate" {
    category  = "performance_degradation"
    query     = "up"
    condition = "above"
    threshold = 0.1
    action    = "alert"
    for       = "500ms"
  }
}
