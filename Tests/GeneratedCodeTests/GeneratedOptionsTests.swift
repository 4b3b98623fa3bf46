import Logging
import NIOCore
import SwitchboardCore
import Testing

/// The options generated from Specs/listener.yaml and Specs/transport.yaml.
@Suite struct GeneratedOptionsTests {
    @Test func defaultsComeFromTheSpec() {
        let options = ListenerOptions()
        #expect(options.resource == "socket.io")
        #expect(options.transports == [])
        #expect(options.transportOptions.isEmpty)
        #expect(options.timeout == .milliseconds(8000))
        #expect(options.origins == ["*:*"])
        #expect(options.protocol == .framed)
        #expect(options.maxHttpBufferSize == 1_000_000)
        #expect(options.maxBufferedMessages == 1000)
        #expect(options.maxBufferedBytes == 1_000_000)
        #expect(options.maxSessions == 100_000)
        #expect(options.requestHeadTimeout == .milliseconds(10_000))
        #expect(options.requestBodyTimeout == .milliseconds(10_000))
        #expect(options.idleTimeout == .milliseconds(60_000))
        #expect(options.log.label == "switchboard")
        #expect(PayloadProtocol.allCases.map(\.rawValue) == ["framed", "envelope"])

        let transport = TransportOptions()
        #expect(transport.heartbeatInterval == nil && transport.timeout == nil)
        #expect(transport.closeTimeout == nil && transport.duration == nil)
    }

    @Test func setAcceptsTheTextFormOfEveryType() throws {
        var options = ListenerOptions()
        try options.set("resource", to: "rt")
        try options.set("transports", to: "websocket, xhr-polling,,")
        try options.set("timeout", to: "1500")
        try options.set("origins", to: "example.com:*")
        try options.set("protocol", to: "envelope")
        try options.set("maxSessions", to: "12")
        try options.set("idleTimeout", to: "0")
        try options.set("transportOptions", to: "xhr-polling.duration=5000")
        try options.set("transportOptions", to: "xhr-polling.closeTimeout=100")
        try options.set("transportOptions", to: "websocket.heartbeatInterval=250")
        #expect(options.resource == "rt")
        #expect(options.transports == ["websocket", "xhr-polling"])
        #expect(options.timeout == .milliseconds(1500))
        #expect(options.origins == ["example.com:*"])
        #expect(options.protocol == .envelope)
        #expect(options.maxSessions == 12)
        #expect(options.idleTimeout == .zero)
        #expect(options.transportOptions["xhr-polling"]?.duration == .milliseconds(5000))
        #expect(options.transportOptions["xhr-polling"]?.closeTimeout == .milliseconds(100))
        #expect(options.transportOptions["xhr-polling"]?.heartbeatInterval == nil)
        #expect(options.transportOptions["websocket"]?.heartbeatInterval == .milliseconds(250))
    }

    @Test func setRejectsBadValuesWithAnOptionError() {
        var options = ListenerOptions()
        #expect(throws: OptionError(key: "nope", value: "1", reason: "unknown option")) {
            try options.set("nope", to: "1")
        }
        #expect(throws: OptionError(key: "maxSessions", value: "many", reason: "expected an integer")) {
            try options.set("maxSessions", to: "many")
        }
        #expect(throws: OptionError(key: "timeout", value: "-5", reason: "expected a whole number of milliseconds")) {
            try options.set("timeout", to: "-5")
        }
        #expect(throws: OptionError(key: "protocol", value: "json", reason: "expected one of: framed, envelope")) {
            try options.set("protocol", to: "json")
        }
        #expect(throws: OptionError(key: "log", value: "stderr", reason: "cannot be set from text")) {
            try options.set("log", to: "stderr")
        }
        #expect(
            throws: OptionError(
                key: "transportOptions", value: "xhr-polling", reason: "expected <transport>.<option>=<value>")
        ) {
            try options.set("transportOptions", to: "xhr-polling")
        }
        #expect(
            throws: OptionError(
                key: "transportOptions", value: ".duration=5", reason: "expected <transport>.<option>=<value>")
        ) {
            try options.set("transportOptions", to: ".duration=5")
        }
        #expect(
            throws: OptionError(
                key: "transportOptions", value: "xhr-polling.speed=5", reason: "xhr-polling.speed: unknown option"
            )
        ) {
            try options.set("transportOptions", to: "xhr-polling.speed=5")
        }
        #expect(
            throws: OptionError(
                key: "transportOptions", value: "xhr-polling.duration=soon",
                reason: "xhr-polling.duration: expected a whole number of milliseconds"
            )
        ) {
            try options.set("transportOptions", to: "xhr-polling.duration=soon")
        }
        // A failed set leaves the options as they were.
        #expect(options.transportOptions.isEmpty)
        #expect(options.maxSessions == 100_000)
    }

    @Test func optionHelpListsEverySettableKey() {
        #expect(
            ListenerOptions.optionHelp.map(\.key) == [
                "resource", "transports", "transportOptions", "timeout", "origins", "protocol",
                "maxHttpBufferSize", "maxBufferedMessages", "maxBufferedBytes", "maxSessions",
                "requestHeadTimeout", "requestBodyTimeout", "idleTimeout",
            ]
        )
        let timeout = ListenerOptions.optionHelp.first { $0.key == "timeout" }
        #expect(timeout?.type == "milliseconds")
        #expect(timeout?.defaultValue == "8000")
        #expect(timeout?.description.hasPrefix("Grace after a session's last connection closes") == true)
        #expect(ListenerOptions.optionHelp.first { $0.key == "protocol" }?.type == "framed|envelope")
        #expect(
            TransportOptions.optionHelp.map(\.key) == [
                "heartbeatInterval", "timeout", "closeTimeout", "duration", "flashPolicyServer", "flashPolicyPort",
            ])
    }
}
