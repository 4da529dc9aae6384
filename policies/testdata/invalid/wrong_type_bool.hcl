# error: 7:7: confirm must be true or false, not the string "yes"
service "svc" {
  canary "c" {
    step {
      weight  = 5
      bake    = "30s"
      confirm = "yes"
    }
  }
}
