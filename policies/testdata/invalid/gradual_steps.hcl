# error: 8:20: steps element 2 (25) is not above element 1 (50)
# error: 8:24: steps end at 75, not 100
# error: 15:7: steps is empty
service "svc" {
  blue_green "b" {
    switch = "gradual"
    gradual {
      steps = [50, 25, 75]
      bake  = "30s"
    }
  }
  blue_green "e" {
    switch = "gradual"
    gradual {
      steps = []
      bake  = "30s"
    }
  }
}
