import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory generate-docs`: renders `docs/` from
/// `Specs/` with the templates in `Templates/docs/`.
@main
struct SwitchboardDocs: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let package = context.package.directoryURL
        let process = Process()
        process.executableURL = try context.tool(named: "switchboard-codegen").url
        process.arguments = [
            "docs",
            "--specs", package.appending(path: "Specs").path(),
            "--templates", package.appending(path: "Templates").appending(path: "docs").path(),
            "--output", package.appending(path: "docs").path(),
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DocsError(status: process.terminationStatus)
        }
    }

    struct DocsError: Error, CustomStringConvertible {
        var status: Int32
        var description: String { "switchboard-codegen docs failed with status \(status)" }
    }
}
