package main

// Delta xDS, as ztunnel speaks it: a wildcard delta subscription to its workload discovery
// (and policies). istiod serves a SotW client's WDS on demand only (the pods on its node),
// so Services and their waypoints reach a test only this way.

import (
	"context"
	"fmt"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

func deltaNode(nodeType, ip, workload, namespace string, meta *structpb.Struct) *core.Node {
	return &core.Node{
		Id:       fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", nodeType, ip, workload, namespace, namespace),
		Metadata: meta,
	}
}

// runDelta subscribes to every type (wildcard), acks each answer, and returns what arrived
// once each type was answered and `settle` passed.
func runDelta(addr string, node *core.Node, typeURLs []string, timeout, settle time.Duration) *recorder {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail(err.Error())
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		fail(err.Error())
	}
	pending := map[string]bool{}
	for _, t := range typeURLs {
		pending[t] = true
		if err := stream.Send(&discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: t}); err != nil {
			fail(err.Error())
		}
	}
	answers := make(chan *discovery.DeltaDiscoveryResponse)
	go func() {
		for {
			answer, err := stream.Recv()
			if err != nil {
				close(answers)
				return
			}
			answers <- answer
		}
	}()
	rec := &recorder{received: map[string]*discovery.DiscoveryResponse{}, merged: map[string]map[string]*anypb.Any{}}
	var settled <-chan time.Time
	for {
		select {
		case answer, ok := <-answers:
			if !ok {
				fail(fmt.Sprintf("stream closed, no answer for: %v", pending))
			}
			record(rec, answer)
			_ = stream.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: answer.TypeUrl, ResponseNonce: answer.Nonce})
			delete(pending, answer.TypeUrl)
			if len(pending) == 0 && settled == nil {
				settled = time.After(settle)
			}
		case <-settled:
			return rec
		case <-ctx.Done():
			fail(fmt.Sprintf("timeout after %s, no answer for: %v", timeout, pending))
		}
	}
}

func record(rec *recorder, answer *discovery.DeltaDiscoveryResponse) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.received[answer.TypeUrl] = &discovery.DiscoveryResponse{TypeUrl: answer.TypeUrl}
	if rec.merged[answer.TypeUrl] == nil {
		rec.merged[answer.TypeUrl] = map[string]*anypb.Any{}
	}
	for _, resource := range answer.Resources {
		rec.merged[answer.TypeUrl][resourceKey(resource.Resource)] = resource.Resource
	}
}
