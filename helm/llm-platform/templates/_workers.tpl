{{/*
WORKER_WORKERID of a worker pod: with Kubernetes discovery each pod is a worker of its own, identified by the pod's
uid (the scheduler's KubernetesWorkerDiscovery names the worker it discovers by the endpoint's pod uid too); with
static discovery the configured id.
Parameters: root, workerId.
*/}}
{{- define "llm-platform.workerIdEnv" }}
{{- if eq .root.Values.scheduler.workerDiscovery "kubernetes" }}
- name: WORKER_WORKERID
  valueFrom:
    fieldRef:
      fieldPath: metadata.uid
{{- else }}
- name: WORKER_WORKERID
  value: {{ .workerId | quote }}
{{- end }}
{{- end }}

{{/*
The autoscaler of one worker pool: a HorizontalPodAutoscaler on the Prometheus adapter's External metrics
(autoscaling.mode hpa) or a KEDA ScaledObject with prometheus triggers (autoscaling.mode keda); nothing for none.
Both follow scheduler_desired_replicas{pool} (the scheduler's own estimate of the replicas the pool needs; target
1 per replica makes the replica count equal to it) and, when queueDepthPerReplica > 0, the scheduler's queue.
Parameters: root, component, pool, values (minReplicas, maxReplicas).
*/}}
{{- define "llm-platform.workerAutoscaler" }}
{{- $root := .root }}
{{- $as := $root.Values.autoscaling }}
{{- $ctx := dict "root" $root "component" .component }}
{{- $name := include "llm-platform.componentName" $ctx }}
{{- if gt (int .values.minReplicas) (int .values.maxReplicas) }}
{{- fail (printf "%s: minReplicas (%v) exceeds maxReplicas (%v)" .component .values.minReplicas .values.maxReplicas) }}
{{- end }}
{{- if eq $as.mode "hpa" }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $name }}
  labels:
    {{- include "llm-platform.labels" $ctx | nindent 4 }}
    {{- include "llm-platform.workerLabels" (dict "pool" .pool) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicas: {{ .values.minReplicas }}
  maxReplicas: {{ .values.maxReplicas }}
  metrics:
    # External metrics from the Prometheus adapter (rules: the ConfigMap *-prometheus-adapter-rules, docs/kubernetes.md).
    - type: External
      external:
        metric:
          name: scheduler_desired_replicas
          selector:
            matchLabels:
              pool: {{ .pool }}
        target:
          type: AverageValue
          averageValue: "1"
    {{- if gt (int $as.queueDepthPerReplica) 0 }}
    - type: External
      external:
        metric:
          name: scheduler_queue_depth
        target:
          type: AverageValue
          averageValue: {{ $as.queueDepthPerReplica | quote }}
    {{- end }}
  behavior:
    scaleUp:
      stabilizationWindowSeconds: {{ $as.behavior.scaleUpStabilizationSeconds }}
    scaleDown:
      stabilizationWindowSeconds: {{ $as.behavior.scaleDownStabilizationSeconds }}
{{- else if eq $as.mode "keda" }}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ $name }}
  labels:
    {{- include "llm-platform.labels" $ctx | nindent 4 }}
    {{- include "llm-platform.workerLabels" (dict "pool" .pool) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $name }}
  minReplicaCount: {{ .values.minReplicas }}
  maxReplicaCount: {{ .values.maxReplicas }}
  pollingInterval: {{ $as.keda.pollingInterval }}
  cooldownPeriod: {{ $as.keda.cooldownPeriod }}
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleUp:
          stabilizationWindowSeconds: {{ $as.behavior.scaleUpStabilizationSeconds }}
        scaleDown:
          stabilizationWindowSeconds: {{ $as.behavior.scaleDownStabilizationSeconds }}
  triggers:
    - type: prometheus
      name: desired-replicas
      metricType: AverageValue
      metadata:
        serverAddress: {{ $as.keda.serverAddress | quote }}
        query: {{ printf "max(scheduler_desired_replicas{namespace=\"%s\",pool=\"%s\"})" $root.Release.Namespace .pool | quote }}
        threshold: "1"
    {{- if gt (int $as.queueDepthPerReplica) 0 }}
    - type: prometheus
      name: queue-depth
      metricType: AverageValue
      metadata:
        serverAddress: {{ $as.keda.serverAddress | quote }}
        query: {{ printf "sum(scheduler_queue_depth{namespace=\"%s\"})" $root.Release.Namespace | quote }}
        threshold: {{ $as.queueDepthPerReplica | quote }}
    {{- end }}
{{- end }}
{{- end }}
