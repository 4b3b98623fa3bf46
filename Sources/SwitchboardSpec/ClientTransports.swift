/// The client role of the generator: the target that holds the ``Generator/clientComponent``
/// component (`Specs/socket.yaml`) gets the descriptor of every transport in `Specs/transports`,
/// so a client speaks each one from its spec, also a transport whose module the client does not
/// (or cannot) link, such as one defined in a host executable.
extension Generator {
    /// The component whose target is a client.
    public static let clientComponent = "Socket"

    /// The transports whose descriptors `target` gets as a client: all of them when it holds the
    /// client component, else none.
    func clientTransports(of components: [ComponentSpec]) -> [TransportSpec] {
        components.contains { $0.name == Self.clientComponent } ? specs.transports : []
    }

    func clientTransportsView(_ transports: [TransportSpec], _ transportComponent: ComponentSpec?) -> ClientTransportsView {
        ClientTransportsView(
            component: Self.clientComponent, transportNames: transports.map(\.name).joined(separator: ", "),
            transports: transports.map { transportView($0, transportComponent) })
    }
}

/// `client-transports.mustache`: every transport's descriptor, for a client.
struct ClientTransportsView: Sendable {
    var component: String
    var transportNames: String
    var transports: [TransportView]

    static let prototype = ClientTransportsView(component: "C", transportNames: "t", transports: [.prototype])
}
