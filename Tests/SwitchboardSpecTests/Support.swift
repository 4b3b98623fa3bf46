import Foundation
import Testing

@testable import SwitchboardSpec

/// Paths of this package, found from this file's location.
enum Paths {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let specs = package + "/Specs"
    static let templates = package + "/Templates/swift"
    static let fixtures = package + "/Tests/SwitchboardSpecTests/Fixtures"
}

/// The package's real templates.
func realTemplates() throws -> TemplateSet {
    try TemplateSet(files: try TemplateFile.loadAll(directory: Paths.templates), directory: Paths.templates)
}

/// A minimal Transport component, so transport specs under test have options to refer to.
let transportComponent = SpecFile(
    path: "Specs/transport.yaml",
    contents: """
        component: Transport
        module: SwitchboardCore
        description: Transport options.
        options:
          duration:
            type: milliseconds
            optional: true
            description: Poll duration.
          timeout:
            type: milliseconds
            optional: true
            description: Heartbeat timeout.

        """
)

/// The `path:line:col: error: message` lines of loading `files`, or `[]` when they load.
func errors(_ files: [SpecFile]) -> [String] {
    do {
        _ = try SpecLoader.load(files)
        return []
    } catch {
        return error.diagnostics.map(\.description)
    }
}

/// The errors of one spec file (with the minimal Transport component beside it).
func errors(path: String, _ yaml: String) -> [String] {
    errors([transportComponent, SpecFile(path: path, contents: yaml)])
}
