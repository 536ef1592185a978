variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name, used in tags and the resource name prefix."
  type        = string
  default     = "prod"
}

variable "endpoint_public_access_cidrs" {
  description = "CIDRs allowed to reach the public Kubernetes API endpoint; empty keeps it private (reach it through a VPN or bastion)."
  type        = list(string)
  default     = []
}

variable "cluster_admin_arns" {
  description = "IAM users/roles that get cluster-admin (break-glass and platform team)."
  type        = list(string)
}

variable "github_repository" {
  description = "GitHub owner/repo whose main branch and environments may deploy."
  type        = string
}

variable "github_oidc_provider_arn" {
  description = "Existing GitHub OIDC provider ARN in the account (one per account); empty creates it."
  type        = string
  default     = ""
}
