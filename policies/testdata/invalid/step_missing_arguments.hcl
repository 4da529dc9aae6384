# error: 5:5: canary "c": step 1: missing required argument weight
# error: 5:5: canary "c": step 1: missing required argument bake
service "svc" {
  canary "c" {
    step {
    }
  }
}
