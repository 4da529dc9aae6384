# error: 9:5: threshold and a baseline block are both set
service "svc" {
  trigger "t" {
    category  = "system_instability"
    query     = "up"
    condition = "above"
    threshold = 0.1
    action    = "alert"
    baseline {
      ratio = 1.5
    }
  }
}
