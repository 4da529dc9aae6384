# error: 6:7: bake = "30 seconds" is not a duration; write a number with a unit
service "svc" {
  canary "c" {
    step {
      weight = 5
      bake   = "30 seconds"
    }
  }
}
