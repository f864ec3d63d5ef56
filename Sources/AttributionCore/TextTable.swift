import Foundation

/// Columns aligned for a terminal, for the admin commands' listings.
public enum TextTable {
    /// `rows[0]` is the header; columns listed in `rightAligned` (numbers) are
    /// padded on the left. Two spaces between columns, no trailing spaces.
    public static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let header = rows.first else { return "" }
        let widths = header.indices.map { col in rows.map { $0[col].count }.max() ?? 0 }
        return rows.map { row in
            var line = row.enumerated().map { col, cell in
                let pad = String(repeating: " ", count: widths[col] - cell.count)
                return rightAligned.contains(col) ? pad + cell : cell + pad
            }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n") + "\n"
    }
}
