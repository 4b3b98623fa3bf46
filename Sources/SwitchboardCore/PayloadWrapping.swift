import SwitchboardWire

extension TransportDescriptor {
    /// The spec's prelude and wrapper, as the wire writes and reads them.
    public var wrapping: PayloadWrapper {
        PayloadWrapper(prelude: prelude, padTo: padTo, padding: padding, template: wrapper, escaping: escaping)
    }

    /// What a stream writes first: the spec's prelude, padded to `padTo` bytes when asked.
    public var paddedPrelude: String { wrapping.paddedPrelude }

    /// One payload inside the spec's wrapper, escaped as the spec says (``PayloadWrapper/wrap(payload:sessionId:sequence:index:)``).
    public func wrap(payload: String, sessionId: String, sequence: Int, index: String? = nil) -> String {
        wrapping.wrap(payload: payload, sessionId: sessionId, sequence: sequence, index: index)
    }
}
