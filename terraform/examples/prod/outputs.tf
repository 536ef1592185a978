output "kubeconfig_command" {
  description = "Run this to point kubectl and helm at the cluster."
  value       = module.video_quality.kubeconfig_command
}

output "ecr_registry" {
  description = "Registry host for image pushes and the chart's image.registry."
  value       = module.video_quality.ecr_registry
}

output "model_bucket" {
  description = "Model registry bucket (chart: models.s3.bucket)."
  value       = module.video_quality.model_bucket
}

output "model_reader_role_arn" {
  description = "IRSA role ARN for the chart's service account annotation."
  value       = module.video_quality.model_reader_role_arn
}

output "github_actions_role_arn" {
  description = "Role for the GitHub Actions workflows (secret AWS_DEPLOY_ROLE_ARN)."
  value       = module.video_quality.github_actions_role_arn
}
