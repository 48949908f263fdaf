provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project   = "chinook-platform"
      ManagedBy = "terraform"
      Component = "terraform-state"
    }
  }
}
