// Compiles each file named on the command line as a Groovy script (as Jenkins' CPS
// does before running a pipeline) without running it: syntax errors are reported.
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases
int bad = 0
args.each { name ->
    def unit = new CompilationUnit(new CompilerConfiguration())
    unit.addSource(new File(name))
    try {
        unit.compile(Phases.SEMANTIC_ANALYSIS)
        println "${name}: parsed and analysed, no error"
    } catch (e) {
        println "${name}: ${e.message}"
        bad++
    }
}
System.exit(bad)
