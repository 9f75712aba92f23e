{{/*
The internal plane's certificates (values tls.*, docs/kubernetes.md "Internal plane certificates").
*/}}

{{/*
Whether cert-manager issues the certificates: "true" or "".
*/}}
{{- define "llm-platform.tls.certManager" -}}
{{- $enabled := toString .Values.tls.certManager.enabled }}
{{- if or (eq $enabled "true") (and (eq $enabled "auto") (.Capabilities.APIVersions.Has "cert-manager.io/v1")) }}true{{ end }}
{{- end }}

{{/*
The identities that get a certificate: the services of this release, Prometheus, and the operator's admin when
asked for. Returns a YAML list to fromYamlArray.
*/}}
{{- define "llm-platform.tls.identities" -}}
{{- $ids := list "gateway" "model-registry" "tokenizer-service" "inference-cpu-service" "scheduler-service" }}
{{- if .Values.gpuWorker.enabled }}
{{- $ids = append $ids "inference-gpu-service" }}
{{- end }}
{{- $ids = append $ids "prometheus" }}
{{- if .Values.tls.admin.enabled }}
{{- $ids = append $ids "admin" }}
{{- end }}
{{- toYaml $ids }}
{{- end }}

{{/*
Name of the Secret (tls.crt, tls.key, ca.crt) of an identity: tls.existingSecrets.<identity> or
<fullname>-tls-<identity>. Usage: include "llm-platform.tls.secretName" (dict "root" $ "identity" "gateway")
*/}}
{{- define "llm-platform.tls.secretName" -}}
{{- $existing := get (.root.Values.tls.existingSecrets | default dict) .identity }}
{{- if $existing }}
{{- $existing }}
{{- else }}
{{- printf "%s-tls-%s" (include "llm-platform.fullname" .root) .identity | trunc 253 }}
{{- end }}
{{- end }}

{{/*
The DNS names a service is reached by (its Service, with and without the namespace and cluster domain), which its
certificate must carry: clients verify them. None for prometheus and admin (clients only). A YAML list.
*/}}
{{- define "llm-platform.tls.dnsNames" -}}
{{- $names := list }}
{{- if not (has .identity (list "prometheus" "admin")) }}
{{- $svc := include "llm-platform.componentName" (dict "root" .root "component" .identity) }}
{{- $ns := .root.Release.Namespace }}
{{- $names = list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .root.Values.tls.clusterDomain) }}
{{- end }}
{{- toYaml $names }}
{{- end }}

{{/*
The TLS server name of a service as Prometheus and the other services name it.
*/}}
{{- define "llm-platform.tls.serverName" -}}
{{- printf "%s.%s.svc" (include "llm-platform.componentName" .) .root.Release.Namespace }}
{{- end }}

{{/*
Where a pod finds its certificate, key and the CA.
*/}}
{{- define "llm-platform.tls.mountPath" -}}
/etc/llm-platform/tls
{{- end }}
