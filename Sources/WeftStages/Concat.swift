import Foundation
import WeftCore

/// `uses: concat` — joins text files into one (the engine's end-to-end proof of the
/// built-in path: manifest → validated `with:` → deps/outs → child process → cache).
public enum ConcatStage: BuiltinStage {
    public static let name = "concat"

    public static func run(_ ctx: StageContext) throws {
        let inputs = try ctx.strings("inputs")
        let output = try ctx.string("output")
        let separator = Array(try ctx.string("separator").utf8)
        let ensureNewline = try ctx.bool("ensure_newline")
        var out: [UInt8] = []
        for (n, path) in inputs.enumerated() {
            guard var bytes = FS.read(path) else {
                throw WeftError.io(path: path, message: "cannot read input", hint: "check the path in with.inputs")
            }
            if ensureNewline, let last = bytes.last, last != 10 { bytes.append(10) }
            if n > 0 { out += separator }
            out += bytes
        }
        try FS.writeAtomically(output, out)
        ctx.log("concat: wrote \(output) (\(out.count) bytes from \(inputs.count) files)")
    }
}
