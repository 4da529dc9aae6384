# error: 11:7: url = "ftp://board.example" is not an http(s) URL
# error: 12:30: at: unknown value "before_launch"
# error: 16:7: unknown format "markdown"
service "svc" {
  canary "c" {
    step {
      weight = 5
      bake   = "30s"
    }
    gate "board" {
      url = "ftp://board.example"
      at  = ["before_start", "before_launch"]
    }
    notify {
      url = "https://hooks.example/x"
      format = "markdown"
    }
  }
}
