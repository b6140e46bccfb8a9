package dev.weft.perf.bench;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What every scenario launcher needs: where to write configs and logs, the upstream, CPU
 * pinning, worker counts and how to start Weft.
 *
 * @param runDir        directory for configs, certificates and process logs of this run
 * @param upstreamPort  port of the fixed-response upstream on 127.0.0.1
 * @param proxyWorkers  worker threads or processes per proxy (Weft {@code --concurrency},
 *                      HAProxy {@code nbthread}, nginx {@code worker_processes})
 * @param pinning       CPU pinning
 * @param weft          how to start a Weft sidecar
 * @param weftHop       the hop between the two Weft sidecars
 * @param certificates  CA that issues the proxies' mTLS certificates
 * @param startTimeout  how long a proxy may take to become ready
 */
record BenchEnvironment(
    Path runDir,
    int upstreamPort,
    int proxyWorkers,
    CpuPinning pinning,
    WeftLaunch weft,
    WeftPair.Hop weftHop,
    BenchCertificates certificates,
    Duration startTimeout) {}
