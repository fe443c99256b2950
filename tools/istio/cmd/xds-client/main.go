// Command xds-client connects to a real istiod's xDS server as one proxy (a sidecar or a
// gateway, identified the way istio-agent identifies it: node ID, IP and metadata), asks
// for the given resource types with Istio's own ADS client (istio.io/istio/pkg/adsc), and
// prints every resource istiod sent, keyed by type URL, as Envoy's JSON. --routes asks for
// route configurations by name too (adsc derives names from listener ports only); --delta
// speaks delta xDS as ztunnel does (istiod serves a SotW WDS client the pods on its node only).
//
// Istio's filter and workload types are linked in so typed_config Any values print as
// objects. Exit codes: 0 all wanted types answered, 1 error or timeout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"istio.io/istio/pilot/pkg/model"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/adsc"
	_ "istio.io/istio/pkg/config/xds" // registers the Envoy extension types istiod emits
	"istio.io/istio/pkg/workloadapi"  // istio.workload.* (ambient's WDS), registered by import
)

// shortTypes maps the names people use to the type URLs istiod serves.
var shortTypes = map[string]string{
	"lds": v3.ListenerType, "cds": v3.ClusterType, "rds": v3.RouteType, "eds": v3.EndpointType,
	"wds": v3.AddressType, "secret": v3.SecretType,
}

// authorizationType is ambient's L4 policy type (ztunnel's istio.security.Authorization).
const authorizationType = "type.googleapis.com/istio.security.Authorization"

// mergedTypes are kept by resource across responses instead of as the latest response:
// istiod answers a SotW client's workload and policy subscriptions in full first and then
// pushes only what changed (those generators are delta-native), and adsc re-subscribes RDS
// to the names it derives from listener ports, dropping the ones asked for with --routes.
// Removals after the first answer are not seen.
var mergedTypes = map[string]bool{v3.RouteType: true, v3.AddressType: true, authorizationType: true}

// recorder keeps the latest response of each type URL (the merged types by resource);
// adsc acks and follows up (RDS after LDS, EDS after CDS) on its own.
type recorder struct {
	mu       sync.Mutex
	received map[string]*discovery.DiscoveryResponse
	merged   map[string]map[string]*anypb.Any
}

func (r *recorder) HandleResponse(_ *adsc.ADSC, msg *discovery.DiscoveryResponse) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received[msg.TypeUrl] = msg
	if !mergedTypes[msg.TypeUrl] {
		return
	}
	if r.merged[msg.TypeUrl] == nil {
		r.merged[msg.TypeUrl] = map[string]*anypb.Any{}
	}
	for _, resource := range msg.Resources {
		r.merged[msg.TypeUrl][resourceKey(resource)] = resource
	}
}

// resourceKey names a resource: a workload by UID, a service by namespace/hostname (the
// name a client subscribes to it by),
// a policy by namespace and name, anything else by name.
func resourceKey(resource *anypb.Any) string {
	decoded, err := resource.UnmarshalNew()
	if err != nil {
		return string(resource.Value)
	}
	switch r := decoded.(type) {
	case *workloadapi.Address:
		if w := r.GetWorkload(); w != nil {
			return "workload/" + w.GetUid()
		}
		return r.GetService().GetNamespace() + "/" + r.GetService().GetHostname()
	case interface {
		GetNamespace() string
		GetName() string
	}:
		return r.GetNamespace() + "/" + r.GetName()
	case interface{ GetName() string }:
		return r.GetName()
	}
	return string(resource.Value)
}

// missingNamed lists the resources asked for by name that have not arrived yet.
func (r *recorder) missingNamed(subscriptions []*discovery.DiscoveryRequest) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, sub := range subscriptions {
		for _, name := range sub.ResourceNames {
			if r.merged[sub.TypeUrl][name] == nil {
				out = append(out, sub.TypeUrl+" "+name)
			}
		}
	}
	return out
}

func (r *recorder) missing(want []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, t := range want {
		if r.received[t] == nil {
			out = append(out, t)
		}
	}
	return out
}

func main() {
	addr := flag.String("addr", "", "istiod's plaintext xDS address (15010 in a pod), host:port")
	nodeType := flag.String("node-type", "sidecar", "sidecar | router (a gateway)")
	ip := flag.String("ip", "", "the proxy's pod IP (istiod finds the pod by it)")
	namespace := flag.String("namespace", "default", "the proxy's namespace")
	workload := flag.String("workload", "test", "the proxy's pod name")
	metaJSON := flag.String("meta", "{}", "node metadata as a JSON object (LABELS, SERVICE_ACCOUNT, ...)")
	types := flag.String("types", "lds,cds", "comma-separated types to request: lds,cds,rds,eds,wds or type URLs")
	wait := flag.String("wait", "", "types that must be answered before printing (default: --types plus rds after lds, eds after cds)")
	timeout := flag.Duration("timeout", 20*time.Second, "how long to wait for answers")
	settle := flag.Duration("settle", 500*time.Millisecond, "extra wait after the last wanted type, for pushes still in flight")
	routeList := flag.String("routes", "", "route configurations to ask for by name (a gateway's http.<port>), waited for")
	delta := flag.Bool("delta", false, "delta xDS with wildcard subscriptions, as ztunnel (only wds and istio.security.Authorization)")
	flag.Parse()
	if *addr == "" || *ip == "" {
		fail("--addr and --ip are required")
	}
	meta := map[string]any{}
	if err := json.Unmarshal([]byte(*metaJSON), &meta); err != nil {
		fail("--meta: " + err.Error())
	}
	metaStruct, err := structpb.NewStruct(meta)
	if err != nil {
		fail("--meta: " + err.Error())
	}
	requested := typeURLs(*types)
	if *delta {
		node := deltaNode(*nodeType, *ip, *workload, *namespace, metaStruct)
		print(runDelta(*addr, node, requested, *timeout, *settle))
		return
	}
	wanted := requested
	if *wait != "" {
		wanted = typeURLs(*wait)
	} else {
		wanted = withFollowUps(requested)
	}

	rec := &recorder{received: map[string]*discovery.DiscoveryResponse{}, merged: map[string]map[string]*anypb.Any{}}
	initial := make([]*discovery.DiscoveryRequest, 0, len(requested)+1)
	for _, t := range requested {
		initial = append(initial, &discovery.DiscoveryRequest{TypeUrl: t})
	}
	// One request per type: adsc stamps every request with a made-up nonce, so istiod
	// would take a second request of a type it already answers for a stale one.
	var named []*discovery.DiscoveryRequest
	for typeURL, list := range map[string]string{v3.RouteType: *routeList} {
		resources := names(list)
		if len(resources) == 0 {
			continue
		}
		at := slices.IndexFunc(initial, func(r *discovery.DiscoveryRequest) bool { return r.TypeUrl == typeURL })
		if at < 0 {
			initial = append(initial, &discovery.DiscoveryRequest{TypeUrl: typeURL})
			at = len(initial) - 1
		}
		request := initial[at]
		request.ResourceNames = resources
		named = append(named, request)
	}
	client, err := adsc.New(*addr, &adsc.ADSConfig{
		Config: adsc.Config{
			ClientName: "meshkeeper-xds-client",
			Address:    *addr,
			Namespace:  *namespace,
			Workload:   *workload,
			IP:         *ip,
			NodeType:   model.NodeType(*nodeType),
			Meta:       metaStruct,
		},
		InitialDiscoveryRequests: initial,
		ResponseHandler:          rec,
	})
	if err != nil {
		fail(err.Error())
	}
	if err := client.Run(); err != nil {
		fail(err.Error())
	}
	defer client.Close()

	deadline := time.Now().Add(*timeout)
	missing := func() []string { return append(rec.missing(wanted), rec.missingNamed(named)...) }
	for len(missing()) > 0 {
		if time.Now().After(deadline) {
			fail(fmt.Sprintf("timeout after %s, no answer for: %s", *timeout, strings.Join(missing(), ", ")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(*settle)
	print(rec)
}

func names(list string) []string {
	var out []string
	for _, name := range strings.Split(list, ",") {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func typeURLs(list string) []string {
	out := names(list)
	for i, name := range out {
		if url, ok := shortTypes[name]; ok {
			out[i] = url
		}
	}
	return out
}

func withFollowUps(requested []string) []string {
	out := append([]string{}, requested...)
	for _, t := range requested {
		switch t {
		case v3.ListenerType:
			out = append(out, v3.RouteType)
		case v3.ClusterType:
			out = append(out, v3.EndpointType)
		}
	}
	return out
}

func print(rec *recorder) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// Proto field names (snake_case), as Envoy's own config_dump prints them.
	marshal := protojson.MarshalOptions{UseProtoNames: true}
	out := map[string][]json.RawMessage{}
	for typeURL, msg := range rec.received {
		resources := msg.Resources
		if mergedTypes[typeURL] {
			resources = sortedResources(rec.merged[typeURL])
		}
		for _, any := range resources {
			resource, err := any.UnmarshalNew()
			if err != nil {
				fail(fmt.Sprintf("decoding a %s: %v", typeURL, err))
			}
			text, err := marshal.Marshal(resource)
			if err != nil {
				fail(fmt.Sprintf("printing a %s: %v", typeURL, err))
			}
			out[typeURL] = append(out[typeURL], text)
		}
	}
	text, _ := json.Marshal(out)
	fmt.Println(string(text))
}

func sortedResources(byKey map[string]*anypb.Any) []*anypb.Any {
	keys := make([]string, 0, len(byKey))
	for key := range byKey {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	out := make([]*anypb.Any, 0, len(keys))
	for _, key := range keys {
		out = append(out, byKey[key])
	}
	return out
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "xds-client:", message)
	os.Exit(1)
}
