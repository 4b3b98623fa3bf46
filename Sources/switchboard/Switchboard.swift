import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOSSL
import Prometheus
import ServiceLifecycle
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardServer

/// The host: composes the linked transports, the server and a demo application.
/// The host keeps its main thread, waiting on it, rather than giving it to Dispatch (an `async`
/// main calls `dispatch_main`): so it also runs under valgrind, which Benchmarks/instructions needs.
@main
enum Entry {
    static func main() {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await SwitchboardCommand.main()
            done.signal()
        }
        done.wait()
    }
}

struct SwitchboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Serves Switchboard sessions and a demo application.",
        discussion: "Listener options for --option key=value:\n" + optionList(ListenerOptions.optionHelp)
            + "\n\nTransport options for --transport-option <transport>.key=value:\n"
            + optionList(TransportOptions.optionHelp)
            + "\n\nTransports linked into this host: " + TransportRegistry.linked.names.joined(separator: ", ")
    )

    static func optionList(_ help: [(key: String, type: String, defaultValue: String, description: String)]) -> String {
        help.map { option in
            let defaultText = option.defaultValue.isEmpty ? "" : ", default \(option.defaultValue)"
            return "  \(option.key) (\(option.type)\(defaultText)): \(option.description)"
        }.joined(separator: "\n")
    }

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind (0 picks a free one).")
    var port = 8080

    @Option(help: "URL prefix of Switchboard requests.")
    var resource = "socket.io"

    @Option(help: "Comma-separated transports to enable (default: every linked one).")
    var transports: String?

    @Option(name: .customLong("public"), help: "Folder of static files (default: the demo's own pages).")
    var publicDirectory: String?

    @Option(help: "Demo application: chat or echo.")
    var app: DemoApplication = .chat

    @Option(name: .customLong("protocol"), help: "Wire codec: framed or envelope.")
    var payloadProtocol: PayloadProtocol = .framed

    @Option(help: "Port of the Flash policy server (flashsocket); 843 by default.")
    var flashPolicyPort: Int?

    @Option(name: .customLong("option"), help: "A listener option as key=value, e.g. maxSessions=5000 (repeatable).")
    var options: [String] = []

    @Option(name: .customLong("transport-option"), help: "A transport option as name.key=value, e.g. xhr-polling.duration=5000 (repeatable).")
    var transportOptions: [String] = []

    @Option(help: "Run as one node of a cluster on this PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DB (docs/cluster.md).")
    var cluster: String?

    @Option(help: "This node's name (default: host:port); the echo app's `node?` answers it.")
    var node: String?

    @Option(help: "PEM certificate chain: serve https:// and wss:// (with --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Flag(help: "Export metrics in Prometheus text format at GET /metrics (docs/metrics.md).")
    var metrics = false

    @Flag(help: "Serve a live status page at /<resource>/status, fed over Switchboard itself.")
    var status = false

    @Option(help: "Seconds a graceful shutdown (SIGTERM, SIGINT) may take: sessions are ended as going away, then what is left is closed.")
    var shutdownTimeout: Double = 10

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        var logger = Logger(label: "switchboard")
        logger.logLevel = logLevel
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }

        var listenerOptions = ListenerOptions()
        listenerOptions.resource = resource
        listenerOptions.protocol = payloadProtocol
        listenerOptions.log = logger
        if let transports {
            listenerOptions.transports = transports.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) }
        }
        do {
            for option in options {
                let (key, value) = try Self.keyValue(option)
                try listenerOptions.set(key, to: value)
            }
            for option in transportOptions {
                let (key, value) = try Self.keyValue(option)
                try listenerOptions.set("transportOptions", to: "\(key)=\(value)")
            }
            if let flashPolicyPort {
                try listenerOptions.set("transportOptions", to: "flashsocket.flashPolicyPort=\(flashPolicyPort)")
            }
        } catch let error as OptionError {
            throw ValidationError(error.description)
        }

        let root = publicDirectory ?? Bundle.module.resourceURL!.appendingPathComponent("Public").path
        var routes: [HTTPApplication] = []
        if metrics {
            // Before any metric is made: every module counts through swift-metrics.
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            routes.append { request in
                guard request.head.method == .GET, request.path == "/metrics" else { return nil }
                var text: [UInt8] = []
                registry.emit(into: &text)
                return HTTPResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: String(decoding: text, as: UTF8.self))
            }
        }
        // Filled once the listener exists (the page shows its statistics).
        let statusPage = NIOLockedValueBox<StatusPage?>(nil)
        if status {
            routes.append { request in statusPage.withLockedValue { $0 }?.route(request) }
        }
        var application: HTTPApplication?
        if !routes.isEmpty {
            let chain = routes
            application = { request in
                for route in chain {
                    if let response = try await route(request) { return response }
                }
                return nil
            }
        }
        var tls: TLSConfiguration?
        switch (tlsCert, tlsKey) {
        case (nil, nil):
            break
        case (let cert?, let key?):
            do {
                tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            } catch {
                throw ValidationError("--tls-cert/--tls-key: \(error)")
            }
        default:
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        let shutdownDuration = Duration.milliseconds(Int(shutdownTimeout * 1000))
        let server = try HTTPServer(
            host: host, port: port, publicDirectory: root, logger: logger, shutdownTimeout: shutdownDuration,
            tls: tls, application: application)
        let listener = try Listener.listen(server, options: listenerOptions, transports: .linked)
        if status {
            let page = try StatusPage(for: listener, on: server)
            statusPage.withLockedValue { $0 = page }
        }
        // The default node name needs the bound port (--port 0 picks one when the server starts).
        let nodeName = NIOLockedValueBox(node ?? "")
        app.install(on: listener, node: { nodeName.withLockedValue { $0 } })
        var bus: PostgresClusterBus?
        if let cluster {
            do {
                bus = try PostgresClusterBus(url: cluster, nodeName: node ?? "", logger: logger)
            } catch {
                throw ValidationError("--cluster: \(error)")
            }
            listener.attach(cluster: bus!)
        }
        try await server.start()
        if node == nil { nodeName.withLockedValue { $0 = "\(host):\(server.port ?? port)" } }
        // SIGTERM or SIGINT: the server shuts down gracefully, then the bus; the process exits 0.
        var services: [any Service] = []
        if let bus {
            bus.nodeName = nodeName.withLockedValue { $0 }
            services.append(bus)
        }
        services.append(server)
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A backstop: the server closes what is left itself at shutdownDuration.
        configuration.maximumGracefulShutdownDuration = shutdownDuration + .seconds(2)
        let group = ServiceGroup(configuration: configuration)
        async let running: Void = group.run()
        if let bus, !(await bus.waitUntilConnected(timeout: .seconds(10))) {
            logger.warning("cluster database not reachable yet; serving as a node of one until it is")
        }
        let banner = "Switchboard \(app) demo: \(tls == nil ? "http" : "https")://\(host):\(server.port ?? port)/  transports: \(listener.transports.names.joined(separator: ", "))\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        try await running
    }

    static func keyValue(_ text: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "=") else { throw ValidationError("expected key=value, got '\(text)'") }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension PayloadProtocol: ExpressibleByArgument {}
