{{/*
The artifact cache of the workers and the tokenizer (artifactCache in values.yaml; docs/registry.md): where they
keep what they fetch from s3:// and https://. Each pod has its own emptyDir; nothing is shared between pods.
*/}}
{{- define "llm-platform.artifactCache.env" }}
{{- $c := .Values.artifactCache }}
{{- $s3 := .Values.modelRegistry.artifacts.s3 }}
- name: ARTIFACTCACHE_DIR
  value: {{ $c.mountPath | quote }}
- name: ARTIFACTCACHE_MAXSIZE
  value: {{ $c.maxSize | quote }}
{{- with ($c.s3.endpoint | default $s3.endpoint) }}
- name: ARTIFACTCACHE_S3_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: ARTIFACTCACHE_S3_REGION
  value: {{ $c.s3.region | default $s3.region | quote }}
- name: ARTIFACTCACHE_S3_PATHSTYLE
  value: {{ $s3.pathStyleAccess | quote }}
{{- if eq .Values.modelRegistry.artifacts.store "s3" }}
- name: ARTIFACTCACHE_S3_ACCESSKEYID
  valueFrom:
    secretKeyRef:
      name: {{ $s3.credentialsSecret.name }}
      key: {{ $s3.credentialsSecret.accessKeyIdKey }}
- name: ARTIFACTCACHE_S3_SECRETACCESSKEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.credentialsSecret.name }}
      key: {{ $s3.credentialsSecret.secretAccessKeyKey }}
{{- end }}
{{- if $c.trustedCaSecret }}
- name: ARTIFACTCACHE_HTTPS_TRUSTEDCA
  value: /etc/llm-platform/artifact-ca/ca.crt
{{- end }}
{{- end }}

{{- define "llm-platform.artifactCache.volumeMounts" }}
- name: artifact-cache
  mountPath: {{ .Values.artifactCache.mountPath }}
{{- if .Values.artifactCache.trustedCaSecret }}
- name: artifact-ca
  mountPath: /etc/llm-platform/artifact-ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "llm-platform.artifactCache.volumes" }}
- name: artifact-cache
  emptyDir:
    sizeLimit: {{ .Values.artifactCache.sizeLimit }}
{{- with .Values.artifactCache.trustedCaSecret }}
- name: artifact-ca
  secret:
    secretName: {{ . }}
{{- end }}
{{- end }}
