import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The width in columns of the terminal behind `descriptor`, asked of the terminal itself
/// (`ioctl(TIOCGWINSZ)`), else the `COLUMNS` environment variable, else 80.
func terminalWidth(of descriptor: Int32 = STDOUT_FILENO) -> Int {
  var size = winsize()
  if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
    return Int(size.ws_col)
  }
  return columnsVariable(ProcessInfo.processInfo.environment["COLUMNS"]) ?? 80
}

/// The width that a `COLUMNS` value names, or nil when it is not a positive number.
func columnsVariable(_ value: String?) -> Int? {
  guard let value, let columns = Int(value.trimmingCharacters(in: .whitespaces)), columns > 0
  else { return nil }
  return columns
}
