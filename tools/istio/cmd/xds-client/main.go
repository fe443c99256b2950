// Command xds-client connects to a real istiod's xDS server as one proxy (a sidecar or a
// gateway, identified the way istio-agent identifies it: node ID, IP and metadata), asks
// for the given resource types with Istio's own ADS client (istio.io/istio/pkg/adsc), and
// prints every resource istiod sent, keyed by type URL, as Envoy's JSON.
//
// Istio's filter and workload types are linked in so typed_config Any values print as
// objects. Exit codes: 0 all wanted types answered, 1 error or timeout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"istio.io/istio/pilot/pkg/model"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pkg/adsc"
	_ "istio.io/istio/pkg/config/xds"  // registers the Envoy extension types istiod emits
	_ "istio.io/istio/pkg/workloadapi" // registers istio.workload.* (ambient's WDS)
)

// shortTypes maps the names people use to the type URLs istiod serves.
var shortTypes = map[string]string{
	"lds": v3.ListenerType, "cds": v3.ClusterType, "rds": v3.RouteType, "eds": v3.EndpointType,
	"wds": v3.AddressType, "secret": v3.SecretType,
}

// recorder keeps the latest response of each type URL; adsc acks and follows up (RDS
// after LDS, EDS after CDS) on its own.
type recorder struct {
	mu       sync.Mutex
	received map[string]*discovery.DiscoveryResponse
}

func (r *recorder) HandleResponse(_ *adsc.ADSC, msg *discovery.DiscoveryResponse) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received[msg.TypeUrl] = msg
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
	wanted := requested
	if *wait != "" {
		wanted = typeURLs(*wait)
	} else {
		wanted = withFollowUps(requested)
	}

	rec := &recorder{received: map[string]*discovery.DiscoveryResponse{}}
	initial := make([]*discovery.DiscoveryRequest, 0, len(requested))
	for _, t := range requested {
		initial = append(initial, &discovery.DiscoveryRequest{TypeUrl: t})
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
	for len(rec.missing(wanted)) > 0 {
		if time.Now().After(deadline) {
			fail(fmt.Sprintf("timeout after %s, no answer for: %s", *timeout, strings.Join(rec.missing(wanted), ", ")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(*settle)
	print(rec)
}

func typeURLs(list string) []string {
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if url, ok := shortTypes[name]; ok {
			name = url
		}
		out = append(out, name)
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
		for _, any := range msg.Resources {
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

func fail(message string) {
	fmt.Fprintln(os.Stderr, "xds-client:", message)
	os.Exit(1)
}
