// This module has no hand-written code: everything in it is generated from
// Specs/transports/jsonp-polling.yaml by the SwitchboardCodegen plugin.
//
// This comment-only file exists because SwiftPM skips a target that has no Swift source files
// of its own, even when a build-tool plugin generates them
// (swiftlang/swift-package-manager#8061).
