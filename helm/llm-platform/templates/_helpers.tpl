{{/*
Chart name, truncated to the 63 characters of a DNS label.
*/}}
{{- define "llm-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Release's full name; every resource is "<fullname>-<component>".
*/}}
{{- define "llm-platform.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "llm-platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of a component's Deployment and Service, which is also its DNS name in the namespace.
Usage: include "llm-platform.componentName" (dict "root" $ "component" "gateway")
*/}}
{{- define "llm-platform.componentName" -}}
{{- printf "%s-%s" (include "llm-platform.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "llm-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llm-platform.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "llm-platform.labels" -}}
helm.sh/chart: {{ include "llm-platform.chart" .root }}
{{ include "llm-platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: llm-platform
{{- end }}

{{/*
Labels of resources that belong to no single component (ServiceAccount, Secrets, ServiceMonitor).
*/}}
{{- define "llm-platform.commonLabels" -}}
helm.sh/chart: {{ include "llm-platform.chart" . }}
app.kubernetes.io/name: {{ include "llm-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: llm-platform
{{- end }}

{{- define "llm-platform.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "llm-platform.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference. Usage: include "llm-platform.image" (dict "root" $ "image" .Values.gateway.image)
*/}}
{{- define "llm-platform.image" -}}
{{- $repository := .image.repository }}
{{- with .root.Values.image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository }}
{{- end }}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- printf "%s:%s" $repository (toString $tag) }}
{{- end }}

{{/*
gRPC target of a component, in Spring gRPC's "static://host:port" syntax.
Usage: include "llm-platform.grpcTarget" (dict "root" $ "component" "model-registry" "port" 9091)
*/}}
{{- define "llm-platform.grpcTarget" -}}
{{- printf "static://%s:%v" (include "llm-platform.componentName" .) .port }}
{{- end }}

{{/*
Name of a component's ConfigMap, read by Spring Cloud Kubernetes (spring.cloud.kubernetes.config.name).
*/}}
{{- define "llm-platform.configMapName" -}}
{{- include "llm-platform.componentName" . }}
{{- end }}

{{/*
Shutdown timings of a component: the component's own over the global ones. Returns YAML to fromYaml.
*/}}
{{- define "llm-platform.shutdown" -}}
{{- $s := merge (dict) (.values.shutdown | default dict) .root.Values.shutdown }}
{{- if lt (int $s.terminationGracePeriodSeconds) (add (int $s.preStopSleepSeconds) (int $s.shutdownTimeoutSeconds)) }}
{{- fail (printf "%s: terminationGracePeriodSeconds (%v) must be at least preStopSleepSeconds + shutdownTimeoutSeconds (%v)" .component $s.terminationGracePeriodSeconds (add (int $s.preStopSleepSeconds) (int $s.shutdownTimeoutSeconds))) }}
{{- end }}
{{- toYaml $s }}
{{- end }}

{{/*
Deployment of one service.
Parameters (a dict):
  root          the top-level context ($)
  component     the component name (gateway, model-registry, ...): the container's name and the resources' suffix
  values        the component's values (.Values.gateway, ...)
  httpPort      HTTP port (the gateway's public API; an internal service's REST, mutual TLS)
  grpcPort      gRPC port, 0 for none
  managementPort  the management port (management.server.port): health probes and /actuator/prometheus, TLS
  env           the component's own environment, a rendered YAML list (may be empty)
  podLabels     optional dict of extra pod labels (worker role and pool)
  replicas      optional: false leaves spec.replicas out (an autoscaler owns it)
  gpus          optional number of nvidia.com/gpu per pod
  volumeMounts  optional rendered YAML list of extra mounts
  volumes       optional rendered YAML list of extra volumes
*/}}
{{- define "llm-platform.deployment" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $ctx := dict "root" $root "component" .component }}
{{- $shutdown := include "llm-platform.shutdown" (dict "root" $root "values" $v "component" .component) | fromYaml }}
{{- $config := include "llm-platform.componentConfig" (dict "root" $root "values" $v "component" .component) }}
{{- $tlsDir := include "llm-platform.tls.mountPath" $root }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "llm-platform.componentName" $ctx }}
  labels:
    {{- include "llm-platform.labels" $ctx | nindent 4 }}
    {{- with (get . "podLabels") }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- if ne (toString (get . "replicas")) "false" }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "llm-platform.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "llm-platform.labels" $ctx | nindent 8 }}
        {{- with (get . "podLabels") }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        # A changed ConfigMap rolls the pods on `helm upgrade` (reload covers only what can change live).
        checksum/config: {{ $config | sha256sum }}
        {{- if $root.Values.prometheusAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/path: /actuator/prometheus
        prometheus.io/port: {{ .managementPort | quote }}
        # the scraper must present the "prometheus" certificate of the platform CA (tls.* values)
        prometheus.io/scheme: https
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      serviceAccountName: {{ include "llm-platform.serviceAccountName" $root }}
      # Spring Cloud Kubernetes reads ConfigMaps and discovers workers through the API server.
      automountServiceAccountToken: true
      {{- with (get $v "runtimeClassName") }}
      runtimeClassName: {{ . }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $shutdown.terminationGracePeriodSeconds }}
      containers:
        - name: {{ .component }}
          image: {{ include "llm-platform.image" (dict "root" $root "image" $v.image) | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy | default $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .httpPort }}
              protocol: TCP
            {{- if .grpcPort }}
            - name: grpc
              containerPort: {{ .grpcPort }}
              protocol: TCP
            {{- end }}
            - name: management
              containerPort: {{ .managementPort }}
              protocol: TCP
          env:
            {{- with $root.Values.commonEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            - name: MANAGEMENT_TRACING_SAMPLING_PROBABILITY
              value: {{ ternary $root.Values.tracing.samplingProbability 0 $root.Values.tracing.enabled | quote }}
            - name: MANAGEMENT_TRACING_EXPORT_ENABLED
              value: {{ $root.Values.tracing.enabled | quote }}
            {{- if $root.Values.tracing.enabled }}
            - name: MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT
              value: {{ $root.Values.tracing.otlpEndpoint | quote }}
            {{- end }}
            - name: SPRING_PROFILES_ACTIVE
              value: {{ $root.Values.kubernetes.springProfiles | quote }}
            - name: SPRING_CLOUD_KUBERNETES_CONFIG_NAME
              value: {{ include "llm-platform.configMapName" $ctx | quote }}
            - name: SPRING_CLOUD_KUBERNETES_RELOAD_ENABLED
              value: {{ $root.Values.kubernetes.configReload | quote }}
            - name: KUBERNETES_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            # Graceful shutdown: drain in-flight requests and streams for up to this long after SIGTERM.
            - name: SERVER_SHUTDOWN
              value: graceful
            - name: SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE
              value: {{ printf "%vs" $shutdown.shutdownTimeoutSeconds | quote }}
            # The internal plane (docs/kubernetes.md): this service's certificate, key and the platform CA from its
            # Secret; mutual TLS on gRPC and internal HTTP ports, TLS on the management port.
            - name: PLATFORM_SECURITY_TLSCERTIFICATE
              value: {{ printf "%s/tls.crt" $tlsDir | quote }}
            - name: PLATFORM_SECURITY_TLSPRIVATEKEY
              value: {{ printf "%s/tls.key" $tlsDir | quote }}
            - name: PLATFORM_SECURITY_TLSCA
              value: {{ printf "%s/ca.crt" $tlsDir | quote }}
            # Every port binds to loopback unless told otherwise: in a pod, to the pod's addresses.
            - name: SERVER_ADDRESS
              value: 0.0.0.0
            {{- if .grpcPort }}
            - name: SPRING_GRPC_SERVER_ADDRESS
              value: 0.0.0.0
            {{- end }}
            - name: MANAGEMENT_SERVER_ADDRESS
              value: 0.0.0.0
            - name: MANAGEMENT_SERVER_PORT
              value: {{ .managementPort | quote }}
            # Health answers without a client certificate (the kubelet's HTTPS probes); /actuator/prometheus only
            # the platform CA's "prometheus" identity (MetricsAccess).
            - name: MANAGEMENT_SERVER_SSL_ENABLED
              value: "true"
            - name: MANAGEMENT_SERVER_SSL_BUNDLE
              value: platform
            - name: MANAGEMENT_SERVER_SSL_CLIENTAUTH
              value: want
            {{- with .env }}
            {{- . | trim | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /actuator/health/liveness
              port: management
              scheme: HTTPS
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: /actuator/health/liveness
              port: management
              scheme: HTTPS
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /actuator/health/readiness
              port: management
              scheme: HTTPS
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          lifecycle:
            preStop:
              # Let the endpoints controller take the pod out of the Service before Spring's graceful shutdown.
              exec:
                command: ["sleep", {{ $shutdown.preStopSleepSeconds | quote }}]
          {{- $resources := deepCopy ($v.resources | default dict) }}
          {{- with (get . "gpus") }}
          {{- $_ := set $resources "requests" (merge (dict "nvidia.com/gpu" .) ($resources.requests | default dict)) }}
          {{- $_ := set $resources "limits" (merge (dict "nvidia.com/gpu" .) ($resources.limits | default dict)) }}
          {{- end }}
          {{- with $resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            # Writable /tmp under a read-only root: native libraries (llama.cpp, Netty) are unpacked there.
            - name: tmp
              mountPath: /tmp
            - name: tls
              mountPath: {{ $tlsDir }}
              readOnly: true
            {{- with (get . "volumeMounts") }}
            {{- . | trim | nindent 12 }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 512Mi
        - name: tls
          secret:
            secretName: {{ include "llm-platform.tls.secretName" (dict "root" $root "identity" .component) }}
            # 0440: the key is readable by the pod's group (fsGroup) only
            defaultMode: 288
        {{- with (get . "volumes") }}
        {{- . | trim | nindent 8 }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/*
The Spring properties of a component's ConfigMap (application.yaml), as YAML.
*/}}
{{- define "llm-platform.componentConfig" -}}
{{- toYaml (.values.config | default dict) }}
{{- end }}

{{/*
ConfigMap of one component, read by Spring Cloud Kubernetes. Parameters: root, component, values.
*/}}
{{- define "llm-platform.configMap" -}}
{{- $ctx := dict "root" .root "component" .component }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "llm-platform.configMapName" $ctx }}
  labels:
    {{- include "llm-platform.labels" $ctx | nindent 4 }}
data:
  application.yaml: |
    {{- include "llm-platform.componentConfig" . | nindent 4 }}
{{- end }}

{{/*
The labels by which the scheduler discovers workers (spring.cloud.kubernetes.discovery.service-labels) and the
autoscaler tells the pools apart.
*/}}
{{- define "llm-platform.workerLabels" -}}
llm-platform/role: worker
llm-platform/pool: {{ .pool }}
{{- end }}

{{/*
ClusterIP Service of one service. Parameters: root, component, httpPort, grpcPort (0 for none), and optionally
type, port (the Service's HTTP port, default httpPort) and annotations.
*/}}
{{- define "llm-platform.service" -}}
{{- $ctx := dict "root" .root "component" .component }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "llm-platform.componentName" $ctx }}
  labels:
    {{- include "llm-platform.labels" $ctx | nindent 4 }}
    {{- with (get . "labels") }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with (get . "annotations") }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ get . "type" | default "ClusterIP" }}
  selector:
    {{- include "llm-platform.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ get . "port" | default .httpPort }}
      targetPort: http
      protocol: TCP
    {{- if .grpcPort }}
    - name: grpc
      port: {{ .grpcPort }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    {{- end }}
{{- end }}

{{/*
PodDisruptionBudget of one component. Parameters: root, component, pdb (minAvailable or maxUnavailable).
*/}}
{{- define "llm-platform.pdb" -}}
{{- $ctx := dict "root" .root "component" .component }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "llm-platform.componentName" $ctx }}
  labels:
    {{- include "llm-platform.labels" $ctx | nindent 4 }}
{{- $min := toString (.pdb.minAvailable | default "") }}
{{- $max := toString (.pdb.maxUnavailable | default "") }}
spec:
  {{- if $min }}
  minAvailable: {{ if regexMatch "^[0-9]+$" $min }}{{ $min }}{{ else }}{{ $min | quote }}{{ end }}
  {{- else if $max }}
  maxUnavailable: {{ if regexMatch "^[0-9]+$" $max }}{{ $max }}{{ else }}{{ $max | quote }}{{ end }}
  {{- else }}
  maxUnavailable: 1
  {{- end }}
  selector:
    matchLabels:
      {{- include "llm-platform.selectorLabels" $ctx | nindent 6 }}
{{- end }}

{{/*
Headless Service of a component's management port, for its ServiceMonitor only (the component's own Service keeps
to the ports its callers use). Parameters: root, component, managementPort.
*/}}
{{- define "llm-platform.metricsService" -}}
{{- $ctx := dict "root" .root "component" .component }}
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-metrics" (include "llm-platform.componentName" $ctx) | trunc 63 | trimSuffix "-" }}
  labels:
    {{- include "llm-platform.labels" $ctx | nindent 4 }}
    llm-platform/metrics: "true"
spec:
  clusterIP: None
  selector:
    {{- include "llm-platform.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: management
      port: {{ .managementPort }}
      targetPort: management
      protocol: TCP
{{- end }}
