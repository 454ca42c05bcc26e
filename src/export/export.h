/*
 * export/export.h: `tierd export terraform|kubernetes STACK [-o DIR]`: the stack file as a
 * Terraform configuration for the AWS provider, or as Kubernetes manifests. Offline: reads
 * the file, never the daemon. What does not map is said in the output's comments and on
 * stderr (docs/export.md).
 */
#ifndef EXPORT_EXPORT_H
#define EXPORT_EXPORT_H

/* Validates a stack file: 0, or prints its errors and returns nonzero. */
typedef int export_validate_fn(const char *path);

/* Given the arguments after "export". Returns the exit code: 0 written, 2 usage error or
 * an invalid file, 1 the output could not be written. */
int export_main(int argc, char **argv, export_validate_fn *validate);

#endif
