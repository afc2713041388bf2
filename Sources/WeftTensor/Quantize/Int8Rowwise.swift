import Foundation

/// A weight stored as int8 codes with one fp32 absmax per row (LLM.int8 row-wise scheme).
public struct Int8RowwiseTensor: Sendable, Equatable {
    /// Shape of the original weight; rows are all dimensions but the last.
    public var shape: [Int]
    /// round(x * 127 / rowAbsmax), row-major.
    public var codes: [Int8]
    /// Absmax of each row (bitsandbytes' `SCB` / row_stats).
    public var rowStats: [Float]
}

/// bitsandbytes-exact `int8_vectorwise_quant` / `int8_vectorwise_dequant` (threshold 0).
public enum Int8Rowwise {
    /// Quantises each row by its absmax: code = round-half-even(x * (127 / absmax)); an all-zero row gives zeros.
    // reference: bitsandbytes 0.50.2 backends/default int8_vectorwise_quant
    public static func quantize(_ values: [Float], shape: [Int]) throws -> Int8RowwiseTensor {
        let n = try checkedCount(shape, values: values.count, what: "int8")
        try values.withUnsafeBufferPointer { try checkFinite($0, shape: shape, what: "int8") }
        let cols = shape.last!, rows = n / cols
        var codes = [Int8](repeating: 0, count: n), stats = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var m: Float = 0
            for c in 0..<cols { m = Swift.max(m, abs(values[r * cols + c])) }
            stats[r] = m
            guard m > 0 else { continue }
            let s: Float = 127 / m
            for c in 0..<cols {
                let q = (values[r * cols + c] * s).rounded(.toNearestOrEven)
                codes[r * cols + c] = Int8(Swift.max(-128, Swift.min(127, q)))
            }
        }
        return Int8RowwiseTensor(shape: shape, codes: codes, rowStats: stats)
    }

    /// Dequantises the whole weight: code * rowAbsmax * fp32(1/127).
    public static func dequantize(_ t: Int8RowwiseTensor) throws -> [Float] {
        var out = [Float](repeating: 0, count: t.codes.count)
        let rows = t.rowStats.count
        try out.withUnsafeMutableBufferPointer { try dequantize(t, rows: 0..<rows, into: $0) }
        return out
    }

    /// Dequantises rows `rows` into `out` (row-major, starting at the first requested row).
    public static func dequantize(_ t: Int8RowwiseTensor, rows: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) throws {
        let n = try checkedCount(t.shape, values: t.codes.count, what: "int8")
        let cols = t.shape.last!, nRows = n / cols
        guard t.rowStats.count == nRows else {
            throw QuantizeError.invalid("int8: shape \(t.shape) has \(nRows) rows but \(t.rowStats.count) row stats were given")
        }
        guard rows.lowerBound >= 0, rows.upperBound <= nRows else {
            throw QuantizeError.invalid("int8: row range \(rows) is outside 0..<\(nRows)")
        }
        guard out.count >= rows.count * cols else {
            throw QuantizeError.invalid("int8: rows \(rows) hold \(rows.count * cols) values but the buffer has room for \(out.count)")
        }
        // reference: bitsandbytes 0.50.2 _ops int8_vectorwise_dequant: A * stats * 7.874015718698502e-3 (fp32)
        let inv = Float(7.874015718698502e-3)
        for r in rows {
            let s = t.rowStats[r]
            for c in 0..<cols { out[(r - rows.lowerBound) * cols + c] = Float(t.codes[r * cols + c]) * s * inv }
        }
    }
}
