import Foundation

/// An error a caller can cause when quantising or dequantising weights.
public enum QuantizeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input, its shape, an option or a block range was not acceptable; the message says what to change.
    case invalid(String)

    /// The message for people.
    public var description: String {
        switch self { case .invalid(let m): return m }
    }
}

/// Block sizes bitsandbytes' `quantize_4bit` accepts.
// reference: bitsandbytes 0.50.2 functional.quantize_4bit (ValueError "invalid blocksize")
public let nf4BlockSizes: [Int] = [32, 64, 128, 256, 512, 1024, 2048, 4096]

@inline(__always) func checkedCount(_ shape: [Int], values: Int, what: String) throws -> Int {
    guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
        throw QuantizeError.invalid("\(what): shape \(shape) is empty or has a zero/negative dimension; give a non-empty tensor")
    }
    let n = shape.reduce(1, *)
    guard n == values else {
        throw QuantizeError.invalid("\(what): shape \(shape) holds \(n) values but \(values) were given")
    }
    return n
}

@inline(__always) func checkFinite(_ v: UnsafeBufferPointer<Float>, shape: [Int], what: String) throws {
    for i in 0..<v.count where !v[i].isFinite {
        let last = shape.last ?? 1
        throw QuantizeError.invalid("\(what): value \(v[i]) at flat index \(i) (row \(i / last), column \(i % last)) is not finite; bitsandbytes would produce undefined codes, clean the weight first")
    }
}
