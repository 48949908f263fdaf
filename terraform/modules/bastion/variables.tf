variable "name" {
  description = "Name of the bastion instance and prefix of its role and security group."
  type        = string
}

variable "vpc_id" {
  description = "ID of the VPC the bastion runs in."
  type        = string
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC; the bastion may open connections to PostgreSQL and Redshift inside it."
  type        = string
}

variable "subnet_id" {
  description = "ID of the public subnet the bastion runs in (it reaches SSM over the internet gateway, no NAT needed)."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type; an arm64 type (e.g. t4g.micro) selects the arm64 AMI."
  type        = string
  default     = "t3.micro"
}

variable "root_volume_size" {
  description = "Size of the encrypted gp3 root volume in GiB (the AL2023 AMI needs at least 8)."
  type        = number
  default     = 8

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 30
    error_message = "root_volume_size must be between 8 and 30 GiB (30 GiB of EBS is the free-tier allowance)."
  }
}

variable "ssh_allowed_cidr" {
  description = "Optional IPv4 CIDR allowed to reach port 22; null opens no inbound port (SSM Session Manager only)."
  type        = string
  default     = null

  validation {
    condition     = var.ssh_allowed_cidr == null || (can(cidrhost(var.ssh_allowed_cidr, 0)) && !endswith(coalesce(var.ssh_allowed_cidr, "0.0.0.0/0"), "/0"))
    error_message = "ssh_allowed_cidr must be null or a valid IPv4 CIDR narrower than /0."
  }
}

variable "ssh_key_name" {
  description = "Optional EC2 key pair name for SSH."
  type        = string
  default     = null
}
