// SwiftPM refuses a declared test target without sources; this keeps the
// EndToEndTests target buildable until its real tests land (delete then).
import Testing
