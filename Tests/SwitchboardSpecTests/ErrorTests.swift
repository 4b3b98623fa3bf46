import Testing

@testable import SwitchboardSpec

/// A valid transport spec to break one key at a time.
private let poll = """
    transport: xhr-polling
    module: SwitchboardXHRPolling
    kind: poll
    order: 6
    summary: Long polling.
    description: Long polling.
    url: "/{resource}/xhr-polling[/{sid}][/{timestamp}]"
    contentType: "text/plain; charset=UTF-8"
    options:
      duration: 20000

    """

/// Every error kind the loader reports, with its exact position and message.
@Suite struct SpecErrorTests {
    @Test func validPollSpecLoads() {
        #expect(errors(path: "Specs/transports/xhr-polling.yaml", poll) == [])
    }

    @Test func yamlSyntaxErrorHasTheParserPosition() {
        let yaml = """
            component: Demo
            module: Core
              description: indented too far

            """
        #expect(
            errors(path: "Specs/demo.yaml", yaml) == [
                "Specs/demo.yaml:3:14: error: invalid YAML: mapping values are not allowed in this context"
            ])
    }

    @Test func duplicateKey() {
        let yaml = poll.replacingOccurrences(of: "order: 6\n", with: "order: 6\norder: 7\n")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:4:1: error: duplicate key 'order'"
            ])
    }

    @Test func unknownKeyIsReportedAtTheKey() {
        let yaml = poll.replacingOccurrences(of: "order: 6\n", with: "order: 6\ncolour: blue\n")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:5:1: error: unknown key 'colour' in a transport spec (expected one of: transport, module, kind, order, summary, description, url, contentType, headers, prelude, padTo, padding, wrapper, escaping, resumeHeader, implementation, browsers, options)"
            ])
    }

    @Test func wrongTypesAreReportedAtTheValue() {
        let yaml = poll.replacingOccurrences(of: "order: 6\n", with: "order: 6\npadTo: \"x\"\n")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:5:8: error: 'padTo' must be an integer, found the string 'x'"
            ])
        let component = """
            component: Demo
            module: Core
            description: A demo.
            options:
              count:
                type: int
                default: abc
                description: A count.

            """
        #expect(
            errors(path: "Specs/demo.yaml", component) == [
                "Specs/demo.yaml:7:14: error: 'default' must be an integer, found the string 'abc'"
            ])
    }

    @Test func unknownOptionType() {
        let yaml = """
            component: Demo
            module: Core
            description: A demo.
            options:
              ratio:
                type: float
                default: 0.5
                description: A ratio.

            """
        #expect(
            errors(path: "Specs/demo.yaml", yaml) == [
                "Specs/demo.yaml:6:11: error: unknown option type 'float' (expected one of: string, int, bool, milliseconds, strings, enum, logger, transportOptions)"
            ])
    }

    @Test func unknownEventPayloadType() {
        let yaml = """
            component: Demo
            module: Core
            description: A demo.
            events:
              message:
                description: A message.
                payload:
                  - {name: message, type: Message}
                  - {name: socket, type: Socket}

            """
        #expect(
            errors(path: "Specs/demo.yaml", yaml) == [
                "Specs/demo.yaml:9:30: error: unknown payload type 'Socket' (expected one of: Client, Message, DisconnectReason, String, Int, TimeAmount)"
            ])
    }

    @Test func enumDefaultNotInValues() {
        let yaml = """
            component: Demo
            module: Core
            description: A demo.
            options:
              protocol:
                type: enum
                typeName: PayloadProtocol
                values: [framed, envelope]
                default: chunked
                description: The codec.

            """
        #expect(
            errors(path: "Specs/demo.yaml", yaml) == [
                "Specs/demo.yaml:9:14: error: 'default' value 'chunked' is not one of the values: framed, envelope"
            ])
    }

    @Test func duplicateTransportNameAcrossFiles() {
        let other = poll.replacingOccurrences(of: "order: 6", with: "order: 8")
        #expect(
            errors([
                transportComponent,
                SpecFile(path: "Specs/transports/xhr-polling.yaml", contents: poll),
                SpecFile(path: "Specs/more/xhr-polling.yaml", contents: other),
            ]) == [
                "Specs/more/xhr-polling.yaml:1:12: error: transport 'xhr-polling' is already defined at Specs/transports/xhr-polling.yaml:1:12"
            ]
        )
    }

    @Test func unknownKind() {
        let yaml = poll.replacingOccurrences(of: "kind: poll", with: "kind: socket")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:3:7: error: unknown kind 'socket' (expected one of: poll, stream, upgrade)"
            ])
    }

    @Test func unknownWrapperPlaceholder() {
        let yaml = poll.replacingOccurrences(of: "order: 6\n", with: "order: 6\nwrapper: \"{payload}{callback}\"\n")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:5:10: error: unknown placeholder '{callback}' in wrapper (expected {payload}, {sid}, {seq}, {index})"
            ])
    }

    @Test func transportOptionNotDeclared() {
        let yaml = poll.replacingOccurrences(of: "  duration: 20000", with: "  duration: 20000\n  interval: 5")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:11:3: error: option 'interval' is not declared in Specs/transport.yaml (declared: duration, timeout)"
            ])
    }

    @Test func transportOptionOfTheWrongType() {
        let yaml = poll.replacingOccurrences(of: "  duration: 20000", with: "  duration: soon")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:10:13: error: 'duration' must be an integer, found the string 'soon'"
            ])
    }

    @Test func missingRequiredKey() {
        let yaml = poll.replacingOccurrences(of: "order: 6\n", with: "")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:1:1: error: missing required key 'order'"
            ])
    }

    @Test func upgradeWithoutImplementation() {
        let yaml = """
            transport: websocket
            module: SwitchboardWebSocket
            kind: upgrade
            order: 1
            summary: WebSocket.
            description: WebSocket.
            url: "/{resource}/websocket[/{sid}]"

            """
        #expect(
            errors(path: "Specs/transports/websocket.yaml", yaml) == [
                "Specs/transports/websocket.yaml:3:7: error: kind upgrade requires 'implementation' (the hand-written Transport type of module SwitchboardWebSocket)"
            ])
    }

    @Test func fileNameMustMatchTransport() {
        #expect(
            errors(path: "Specs/transports/polling.yaml", poll) == [
                "Specs/transports/polling.yaml:1:12: error: transport 'xhr-polling' must be in a file named xhr-polling.yaml, not polling.yaml"
            ])
    }

    @Test func everyErrorIsReportedNotJustTheFirst() {
        let yaml = """
            transport: xhr-polling
            module: SwitchboardXHRPolling
            kind: poll
            order: six
            summary: Long polling.
            description: Long polling.
            url: "/{resource}/xhr-polling"
            contentType: "text/plain"
            escaping: base64
            wrapper: "{data}"

            """
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:4:8: error: 'order' must be an integer, found the string 'six'",
                "Specs/transports/xhr-polling.yaml:9:11: error: unknown escaping 'base64' (expected one of: none, json-string)",
                "Specs/transports/xhr-polling.yaml:10:10: error: unknown placeholder '{data}' in wrapper (expected {payload}, {sid}, {seq}, {index})",
                "Specs/transports/xhr-polling.yaml:10:10: error: wrapper must contain '{payload}'",
            ])
    }

    @Test func urlMustNameTheTransport() {
        let yaml = poll.replacingOccurrences(of: "/{resource}/xhr-polling[", with: "/{resource}/polling[")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:7:6: error: url must start with '/{resource}/xhr-polling', found '/{resource}/polling[/{sid}][/{timestamp}]'"
            ])
    }

    @Test func urlShapeErrors() {
        let cases = [
            ("/{resource}/xhr-polling/sid", "url: expected '/{name}' or '[/{name}]' at '/sid'"),
            ("/{resource}/xhr-polling/{a-b}", "url: path segment '{a-b}' must be a plain name"),
            ("/{resource}/xhr-polling/{sid}/{sid}", "url: path segment '{sid}' appears twice"),
            ("/{resource}/xhr-polling[/{sid}", "url: missing ']' after '{sid}'"),
        ]
        for (url, message) in cases {
            let yaml = poll.replacingOccurrences(of: "/{resource}/xhr-polling[/{sid}][/{timestamp}]", with: url)
            #expect(
                errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                    "Specs/transports/xhr-polling.yaml:7:6: error: \(message)"
                ])
        }
    }

    @Test func framingErrors() {
        let yaml = poll.replacingOccurrences(
            of: "order: 6\n", with: "order: 6\npadTo: 2\nprelude: abc\npadding: ab\nheaders: [a]\n")
        #expect(
            errors(path: "Specs/transports/xhr-polling.yaml", yaml) == [
                "Specs/transports/xhr-polling.yaml:5:8: error: prelude is 3 bytes, longer than padTo 2",
                "Specs/transports/xhr-polling.yaml:7:10: error: 'padding' must be one single-byte character, found 'ab'",
                "Specs/transports/xhr-polling.yaml:8:10: error: 'headers' must be a mapping, found a sequence",
            ])
    }

    @Test func enumValuesAndPayloadParametersAreListedOnce() {
        let yaml = """
            component: Demo
            module: Core
            description: A demo.
            options:
              mode:
                type: enum
                typeName: Mode
                values: [fast, "1x", fast]
                default: fast
                description: A mode.
            events:
              message:
                description: A message.
                payload:
                  - {name: message, type: Message}
                  - {name: message, type: String}
              reconnect_failed:
                description: Failed.
              reconnectFailed:
                description: Failed again.

            """
        #expect(
            errors(path: "Specs/demo.yaml", yaml) == [
                "Specs/demo.yaml:8:20: error: enum value '1x' cannot be a Swift case name",
                "Specs/demo.yaml:8:26: error: enum value 'fast' is listed twice",
                "Specs/demo.yaml:16:9: error: payload parameter 'message' is listed twice",
                "Specs/demo.yaml:19:3: error: event 'reconnectFailed' has the same Swift name 'reconnectFailed' as event 'reconnect_failed'",
            ])
    }

    @Test func enumTypeDeclaredTwiceInAModule() {
        let first = """
            component: Demo
            module: Core
            description: A demo.
            options:
              mode: {type: enum, typeName: Mode, values: [fast], default: fast, description: A mode.}

            """
        let second = first.replacingOccurrences(of: "Demo", with: "Other")
        #expect(
            errors([SpecFile(path: "Specs/a.yaml", contents: first), SpecFile(path: "Specs/b.yaml", contents: second)]) == [
                "Specs/b.yaml:5:16: error: enum type 'Mode' is already declared in module Core at Specs/a.yaml:5:16"
            ])
    }

    @Test func optionKindRules() {
        let yaml = """
            component: Demo
            module: Core
            description: A demo.
            options:
              log:
                type: logger
                optional: true
                default: x
                description: A logger.
              count:
                type: int
                typeName: Count
                description: A count.

            """
        #expect(
            errors(path: "Specs/demo.yaml", yaml) == [
                "Specs/demo.yaml:7:5: error: an option of type logger cannot be optional",
                "Specs/demo.yaml:8:5: error: an option of type logger takes no default (it has a fixed one)",
                "Specs/demo.yaml:11:5: error: missing required key 'default' (an option that is not optional needs one)",
                "Specs/demo.yaml:12:5: error: 'typeName' applies only to type enum",
            ])
    }
}

/// Template variables are checked against the view model, with the tag's position.
@Suite struct TemplateErrorTests {
    func errors(replacing name: String, with contents: String) throws -> [String] {
        var files = try TemplateFile.loadAll(directory: Paths.templates)
        files = files.map { file in
            var file = file
            file.path = "Templates/swift/\(file.name).mustache"
            if file.name == name { file.contents = contents }
            return file
        }
        do {
            _ = try TemplateSet(files: files, directory: "Templates/swift")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func realTemplatesPassTheCheck() throws {
        #expect(try errors(replacing: "", with: "") == [])
    }

    @Test func unknownNameIsReportedAtItsTag() throws {
        let template = """
            {{% CONTENT_TYPE: TEXT}}
            extension TransportRegistry {
                // {{transportNames}} {{transportCount}}
            {{#modules}}
                // {{enumName}} {{module}}
            {{/modules}}
            }

            """
        let found = try errors(replacing: "registry", with: template)
        #expect(
            found == [
                "Templates/swift/registry.mustache:3:27: error: unknown name 'transportCount': the view of registry.mustache does not provide it here (available: modules, transportNames)",
                "Templates/swift/registry.mustache:5:21: error: unknown name 'module': the view of registry.mustache does not provide it here (available: enumName, isFirst)",
            ])
    }

    @Test func namesOfEnclosingSectionsResolve() throws {
        // Inside {{#options}}, `typeName` comes from the enclosing view; `docLines` from the option.
        let template = """
            {{% CONTENT_TYPE: TEXT}}
            {{#options}}{{typeName}}.{{identifier}}{{#docLines}}{{comment}}{{/docLines}}{{/options}}
            {{#enums}}{{#cases}}{{identifier}}{{swiftType}}{{/cases}}{{/enums}}

            """
        let found = try errors(replacing: "options", with: template)
        #expect(
            found == [
                "Templates/swift/options.mustache:3:35: error: unknown name 'swiftType': the view of options.mustache does not provide it here (available: hasRawValue, identifier, rawValueLiteral)"
            ])
    }

    @Test func missingPragmaUnclosedSectionAndMissingTemplate() throws {
        var files = try TemplateFile.loadAll(directory: Paths.templates).map { file in
            var file = file
            file.path = "Templates/swift/\(file.name).mustache"
            return file
        }
        files.removeAll { $0.name == "header" }
        files = files.map { file in
            var file = file
            if file.name == "registry" { file.contents = "{{#modules}}\n{{enumName}}\n" }
            return file
        }
        do {
            _ = try TemplateSet(files: files, directory: "Templates/swift")
            Issue.record("expected errors")
        } catch {
            #expect(
                error.diagnostics.map(\.description) == [
                    "Templates/swift/registry.mustache:1:1: error: section 'modules' is not closed",
                    "Templates/swift/registry.mustache:1:1: error: a Swift template must begin with {{% CONTENT_TYPE: TEXT}} (otherwise values are HTML-escaped)",
                    "Templates/swift/registry.mustache:3:1: error: invalid Mustache: expectedSectionEnd",
                    "Templates/swift/header.mustache:1:1: error: missing template header.mustache",
                ])
        }
    }
}
