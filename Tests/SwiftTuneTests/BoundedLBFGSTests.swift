#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SwiftTune

/// What SciPy's `minimize(method="L-BFGS-B")` did on one problem.
struct LBFGSBReference: Sendable {
    /// SciPy's `nit`.
    var nit: Int
    /// SciPy's `nfev`.
    var nfev: Int
    /// SciPy's `status`.
    var status: Int
    /// SciPy's `message`.
    var message: String
    /// SciPy's `fun`.
    var fun: Double
    /// SciPy's `x`.
    var x: [Double]
    /// The `x` SciPy's `callback` received after each iteration.
    var iterates: [[Double]]
}

/// SciPy 1.17.1's runs, printed by this script with /work/main/.venv/bin/python (numpy 2, scipy
/// 1.17.1); every run is reproduced below by the same function written in Swift.
///
/// ```python
/// import numpy as np
/// from scipy.optimize import minimize
/// inf = np.inf
///
/// def rosen(x):
///     a, b = 1 - x[0], x[1] - x[0] ** 2
///     return a * a + 100 * b * b, np.array([-2 * a - 400 * x[0] * b, 200 * b])
///
/// def rosen_value(x):
///     return rosen(x)[0]
///
/// def box_quadratic(x):
///     dx, dy = x[0] - 3, x[1] + 2
///     return dx * dx + 2 * dy * dy, np.array([2 * dx, 4 * dy])
///
/// def chain(x):  # extended Rosenbrock in 4 variables; the box cuts off its optimum (1, 1, 1, 1)
///     f, g = 0.0, np.zeros(4)
///     for i in range(3):
///         a, b = 1 - x[i], x[i + 1] - x[i] ** 2
///         f += a * a + 100 * b * b
///         g[i] += -2 * a - 400 * x[i] * b
///         g[i + 1] += 200 * b
///     return f, g
///
/// def mixed(x):  # one-sided and missing bounds
///     f = (x[0] + 1) ** 2 + (x[1] - 2) ** 4 + 0.5 * (x[2] - 3) ** 2 + x[0] * x[2]
///     return f, np.array([2 * (x[0] + 1) + x[2], 4 * (x[1] - 2) ** 3, (x[2] - 3) + x[0]])
///
/// def cliff(x):  # infinite where x0 > 0.5
///     if x[0] > 0.5:
///         return inf, np.array([0.0, 0.0])
///     return rosen(x)
///
/// def hole(x):  # NaN where x0 > 0.5
///     if x[0] > 0.5:
///         return np.nan, np.array([np.nan, np.nan])
///     return rosen(x)
///
/// def nan_start(x):  # NaN everywhere, zero gradient
///     return np.nan, np.array([0.0])
///
/// def wave(x):  # value only, several local minima
///     return np.sin(3 * x[0]) * np.cos(2 * x[1]) + 0.1 * (x[0] ** 2 + x[1] ** 2) + 0.3 * x[0] * x[1]
///
/// cases = [
///     ("rosenbrock", rosen, True, [-1.2, 1.0], [(-5, 5), (-5, 5)], {}),
///     ("rosenbrockMemory3", rosen, True, [-1.2, 1.0], [(-5, 5), (-5, 5)], {"maxcor": 3}),
///     ("boxQuadratic", box_quadratic, True, [0.5, 0.0], [(0, 1), (-1, 1)], {}),
///     ("chain", chain, True, [-1.0, 0.5, -0.5, 1.5], [(-2, 0.7), (-2, 2), (-2, 0.6), (-2, 2)], {}),
///     ("oneSided", mixed, True, [0.5, 0.0, 0.0], [(0, None), (None, 1.5), (None, None)], {}),
///     ("unbounded", rosen, True, [-1.2, 1.0], [(None, None), (None, None)], {}),
///     ("cliff", cliff, True, [-1.2, 1.0], [(-5, None), (-5, 5)], {}),
///     ("hole", hole, True, [-1.2, 1.0], [(-5, None), (-5, 5)], {}),
///     ("nanStart", nan_start, True, [0.0], [(-1, 1)], {}),
///     ("maxiter", rosen, True, [-1.2, 1.0], [(-5, 5), (-5, 5)], {"maxiter": 5}),
///     ("maxfun", rosen, True, [-1.2, 1.0], [(-5, 5), (-5, 5)], {"maxfun": 5}),
///     ("differencesRosenbrock", rosen_value, False, [-1.2, 1.0], [(-5, 5), (-5, 5)], {}),
///     ("differencesWave", wave, False, [0.3, 0.6], [(0, 1), (0, 1)], {"maxiter": 200, "maxfun": 200}),
///     ("differencesMaxfun", rosen_value, False, [-1.2, 1.0], [(-5, 5), (-5, 5)], {"maxfun": 20}),
/// ]
/// for name, fun, has_jac, x0, bounds, options in cases:
///     iterates = []
///     res = minimize(fun, x0, jac=has_jac or None, bounds=bounds, method="L-BFGS-B", options=options,
///                    callback=lambda intermediate_result: iterates.append(intermediate_result.x.tolist()))
///     print(f'    "{name}": Reference(nit: {res.nit}, nfev: {res.nfev}, status: {res.status}, '
///           f'message: "{res.message}", fun: {float(res.fun)!r}, x: {res.x.tolist()!r}, iterates: {iterates!r}),')
/// ```
let lbfgsbReferences: [String: LBFGSBReference] = [
    "rosenbrock": LBFGSBReference(nit: 34, nfev: 49, status: 0, message: "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", fun: 5.2917968362543136e-15, x: [1.0000000067829782, 1.0000000208087376], iterates: [[-0.999229987638272, 1.1295290402333729], [-1.0364357092261536, 1.1007363330940192], [-1.0428290569138534, 1.0937746627020555], [-0.7651510332416056, 0.5706173963542187], [-0.6854704903322768, 0.4262714509267732], [-0.6440231953359254, 0.38053192861633534], [-0.4684559006823049, 0.1795836076995854], [-0.35703807588429515, 0.14802174214725028], [-0.2455571748401446, 0.051988863794940596], [-0.18536168666127076, 0.008698141470781386], [-0.1253566620608492, -0.018108969867277544], [-0.03113691711174596, -0.03324275949373455], [0.05993884848091169, -0.008621374608186318], [0.1557812998735691, -0.003653867081817726], [0.2637052390253337, 0.0453815095762318], [0.327377073080928, 0.11927699833619046], [0.4248778302897822, 0.17352999109292405], [0.46891283616353124, 0.20357349969009306], [0.5130886333090888, 0.2446041127214249], [0.5975959932449774, 0.3416335166644692], [0.6543178199338113, 0.425758138090055], [0.712225828004492, 0.4970653528120643], [0.7857735853949865, 0.6031342365003481], [0.8196609382992776, 0.6696225905636052], [0.8970227268614333, 0.7951345144969166], [0.9026859744726838, 0.8125627828254646], [0.9501780661800534, 0.9002553333397967], [0.9755790583228012, 0.9502106725282355], [0.9882108167225557, 0.9767291009481096], [0.9963770194771301, 0.9924399611641328], [0.9994428441835135, 0.9988118113900426], [0.9999385826142075, 0.9998776783006411], [1.0000048837609683, 1.0000093754179167], [1.0000000067829782, 1.0000000208087376]]),
    "rosenbrockMemory3": LBFGSBReference(nit: 34, nfev: 50, status: 0, message: "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", fun: 1.3533266693863376e-13, x: [0.9999996408553392, 0.9999992896781028], iterates: [[-0.999229987638272, 1.1295290402333729], [-1.0364357092261536, 1.1007363330940192], [-1.0428290569138534, 1.0937746627020555], [-0.7651510332416056, 0.5706173963542187], [-0.6854615479397921, 0.426256731576111], [-0.6439959132560483, 0.38049828749219006], [-0.4679432853936165, 0.17871642542835767], [-0.43439179771492015, 0.19922579331933274], [-0.32718603622102904, 0.0992908847974913], [-0.23711239255384117, 0.024624679099710195], [-0.18459692633215996, 0.00039086851820288593], [-0.043188539468679774, -0.011252289857407803], [0.016703807200443024, -0.02242733473975783], [0.11917456701601502, -0.00731364552448702], [0.23521407749161422, 0.05679098326409318], [0.3042905380718545, 0.07680190016948078], [0.40366673512459217, 0.13240051256916013], [0.4297923834707743, 0.17163731562209608], [0.5492804721211602, 0.2827420416537494], [0.6119796977188555, 0.3711335730846216], [0.6699691152529481, 0.4371751863472178], [0.747224367298861, 0.5431012254629174], [0.7882987136741139, 0.6201698497745942], [0.8365713434445605, 0.6943250670187993], [0.9050827797099344, 0.8087107179153133], [0.9095067556086341, 0.8252525772092484], [0.9458850938929817, 0.8932563360610688], [0.9799636720417129, 0.960241695685379], [0.9982342048693442, 0.9951818094241356], [1.0044731352469725, 1.009981430259176], [1.0007358225023932, 1.0014815394889185], [0.9999768679205844, 0.9999481643588988], [0.9999952029861973, 0.9999930774737238], [0.9999996408553392, 0.9999992896781028]]),
    "boxQuadratic": LBFGSBReference(nit: 1, nfev: 2, status: 0, message: "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", fun: 6.0, x: [1.0, -1.0], iterates: [[1.0, -1.0]]),
    "chain": LBFGSBReference(nit: 22, nfev: 28, status: 0, message: "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", fun: 0.906345254552488, x: [0.7, 0.5024133951310092, 0.2598209864589952, 0.06750693160122612], iterates: [[-0.6941885717932077, 0.05027731146059944, -0.7698336131236403, 0.8703882360448393], [-0.31396117265223933, 0.2072869496505254, -0.5718668156926711, 0.6525241911241878], [-0.08464367820880359, 0.04965537016853051, -0.3627738584178804, 0.2938516574739459], [0.11945222060348892, -0.022246370601165688, -0.10066676717244699, -0.03355568504688705], [0.12370839276149202, -0.017444384156268384, 0.007211376441184601, -0.02954708924953197], [0.09502066149881798, 0.00346253466516393, 0.006294318406543002, 0.007307626839180625], [0.0976941772381753, 0.010530336216513043, 0.011166161395410452, -0.0019500421494957568], [0.10467348165575074, 0.015487956912251046, 0.01250750028295049, -0.005602250279379737], [0.14643699309632285, 0.03356081225683753, 0.015792882050584392, -0.01507587684645242], [0.32315364304995275, 0.0974393362862275, 0.0250290353668096, -0.03787557816531424], [0.4024371874707504, 0.1397527804719703, 0.029585430396831897, -0.04203763819999816], [0.47945542373461847, 0.20305261466257438, 0.03610497090998508, -0.035945533638417515], [0.592827568022432, 0.34019600901114755, 0.07155159162224528, 0.003825874197081188], [0.572726132612437, 0.33382638904721945, 0.10389307722378019, 0.020714299308678227], [0.6350989382568938, 0.3827724888327486, 0.15052040595544602, 0.034799456158065525], [0.7, 0.5007530264264227, 0.2389748270980675, 0.06921625344997241], [0.7, 0.5083641298910662, 0.26695201015575953, 0.07187384531418034], [0.7, 0.5021286538013671, 0.2601557994112274, 0.06881499430884037], [0.7, 0.5024296714290637, 0.26018059456849746, 0.06839632112296844], [0.7, 0.5024606340242175, 0.2598766091030035, 0.06756329977520291], [0.7, 0.5024154176428347, 0.25982321925267193, 0.06750806011165757], [0.7, 0.5024133951310092, 0.2598209864589952, 0.06750693160122612]]),
    "oneSided": LBFGSBReference(nit: 7, nfev: 8, status: 0, message: "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", fun: 1.0625, x: [0.0, 1.5, 3.0], iterates: [[0.33096914905429675, 0.5070925528371099, 0.8451542547285166], [0.036723966763068744, 0.956265559730726, 1.7876788897052465], [0.0, 1.1915624634725497, 2.3843584373235376], [0.0, 1.403688544997586, 2.95864684322724], [0.0, 1.5, 3.076496491140031], [0.0, 1.5, 3.0258649963717255], [0.0, 1.5, 3.0]]),
    "unbounded": LBFGSBReference(nit: 36, nfev: 44, status: 0, message: "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH", fun: 2.807649849005401e-12, x: [0.9999989453492819, 0.9999980209057325], iterates: [[-1.0174097957038217, 1.0745266139984402], [-1.0270197526043319, 1.068358702632824], [-1.0285358469293884, 1.065342136730525], [-1.0280683234018906, 1.0619380604952937], [-1.021385160033696, 1.0392943881350645], [-1.0020293558365005, 0.988607963382702], [-0.9493671678671748, 0.8669746872519424], [-0.8876359561098071, 0.7417730301128318], [-0.7872592106533363, 0.5671494560363027], [-0.6778321515223973, 0.42585440520596285], [-0.5512177980906684, 0.27923074200338005], [-0.3926452248456057, 0.13118950933028434], [-0.2312099774890379, 0.09765818280979233], [-0.06173837858624809, -0.003279389841509578], [-0.025726273395036005, -0.020012804117771704], [0.004331481894000726, -0.024177275448706605], [0.13541392707350855, -0.020171554893481845], [0.1640790823549033, 0.008476700589747678], [0.308070978926995, 0.06746003323553988], [0.3701747138650216, 0.13229321286746193], [0.4477848956074705, 0.1839368952808385], [0.5463199193894457, 0.2735656630624345], [0.5892125771396168, 0.3425795577069699], [0.7072305781780593, 0.4796010373806157], [0.7049243291780667, 0.4928971660604796], [0.7776335281541936, 0.5995330119491481], [0.8269693828503777, 0.6755311256589822], [0.8842796773172151, 0.7763047513276398], [0.9129189450684181, 0.8340673869261699], [0.9481328055923863, 0.8962915968283067], [0.9737146811078522, 0.9453160977571183], [0.9862578397722941, 0.9727574107297832], [0.9982322657372148, 0.9961099551786685], [0.9994357901789049, 0.9988271084066705], [1.0000043179991038, 1.0000063750194104], [0.9999989453492819, 0.9999980209057325]]),
    "cliff": LBFGSBReference(nit: 19, nfev: 27, status: 0, message: "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH", fun: 0.3943846582879421, x: [0.3745745644177307, 0.14598737425010222], iterates: [[-0.9723275889468485, 1.0042239779416169], [-0.9894788946824958, 1.000854830005702], [-0.9944439592952938, 0.997691501053692], [-0.9909835582716133, 0.9849536213605832], [-0.9622931703430128, 0.9133094445830974], [-0.8791144335899971, 0.7311540844672209], [-0.8369327747065178, 0.658993703905828], [-0.65906922336244, 0.40500856721523804], [-0.5345488599206055, 0.267250653787099], [-0.4147641697425911, 0.13222132751153196], [-0.26566998876927594, 0.04259611628551539], [-0.1853848350029818, 0.044182981134969386], [-0.07509446334477288, -0.008904418055563135], [-0.014109177052304668, -0.0281441436957466], [0.04912731162631585, -0.02783997406853786], [0.1602797583429233, 0.007268661267613033], [0.259891288821157, 0.051293042035356125], [0.3745745644177307, 0.14598737425010222], [0.3745745644177307, 0.14598737425010222]]),
    "hole": LBFGSBReference(nit: 18, nfev: 30, status: 2, message: "ABNORMAL: ", fun: .nan, x: [0.3745745644177307, 0.14598737425010222], iterates: [[-0.9723275889468485, 1.0042239779416169], [-0.9894788946824958, 1.000854830005702], [-0.9944439592952938, 0.997691501053692], [-0.9909835582716133, 0.9849536213605832], [-0.9622931703430128, 0.9133094445830974], [-0.8791144335899971, 0.7311540844672209], [-0.8369327747065178, 0.658993703905828], [-0.65906922336244, 0.40500856721523804], [-0.5345488599206055, 0.267250653787099], [-0.4147641697425911, 0.13222132751153196], [-0.26566998876927594, 0.04259611628551539], [-0.1853848350029818, 0.044182981134969386], [-0.07509446334477288, -0.008904418055563135], [-0.014109177052304668, -0.0281441436957466], [0.04912731162631585, -0.02783997406853786], [0.1602797583429233, 0.007268661267613033], [0.259891288821157, 0.051293042035356125], [0.3745745644177307, 0.14598737425010222]]),
    "nanStart": LBFGSBReference(nit: 0, nfev: 1, status: 0, message: "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", fun: .nan, x: [0.0], iterates: []),
    "maxiter": LBFGSBReference(nit: 5, nfev: 13, status: 1, message: "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", fun: 3.0308923179490606, x: [-0.6854704903322768, 0.4262714509267732], iterates: [[-0.999229987638272, 1.1295290402333729], [-1.0364357092261536, 1.1007363330940192], [-1.0428290569138534, 1.0937746627020555], [-0.7651510332416056, 0.5706173963542187], [-0.6854704903322768, 0.4262714509267732]]),
    "maxfun": LBFGSBReference(nit: 3, nfev: 6, status: 1, message: "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT", fun: 4.177097185537043, x: [-1.0428290569138534, 1.0937746627020555], iterates: [[-0.999229987638272, 1.1295290402333729], [-1.0364357092261536, 1.1007363330940192], [-1.0428290569138534, 1.0937746627020555]]),
    "differencesRosenbrock": LBFGSBReference(nit: 34, nfev: 150, status: 0, message: "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH", fun: 4.8641451993992165e-12, x: [0.999998877469011, 0.9999975650954152], iterates: [[-0.999229991309573, 1.1295290378647915], [-1.0364357128922015, 1.100736331649967], [-1.0428290610581192, 1.0937746623862465], [-0.765151077725881, 0.5706178548865213], [-0.6854678781636127, 0.42626705237972606], [-0.6440243624354777, 0.38053409493015555], [-0.4684443361673822, 0.17956456117259317], [-0.35703291660445535, 0.14801395040286924], [-0.24555841242214982, 0.051987184494918], [-0.18536245123616313, 0.008697213775447757], [-0.12535150669267797, -0.018111327274828667], [-0.031129819211673418, -0.03324166430090829], [0.05994523416970858, -0.00861501499937459], [0.15576116910362847, -0.003653065451573999], [0.26370056684848214, 0.04536400345226459], [0.32740361033504395, 0.11929854020681775], [0.4249282821593338, 0.17356407219398978], [0.4689494655291963, 0.20360231031744208], [0.5131060464771784, 0.24462644732487884], [0.5976723262581763, 0.34174083162556307], [0.654395325433811, 0.4258601462453373], [0.7122439421740353, 0.49709703280672535], [0.7858427718351818, 0.6032379814618771], [0.8196576597938624, 0.6696100881680341], [0.8969645005784525, 0.7950490566744517], [0.9028079041836804, 0.8127758234680946], [0.9504823878892827, 0.9008005417473383], [0.9754839638956033, 0.9500649093160456], [0.9883650438069133, 0.97695393605678], [0.9962581551688009, 0.9921559798107846], [0.9994630869610127, 0.9988658457180575], [0.9999488769881143, 0.9998967313908053], [0.9999998098232218, 0.999999328215338], [0.999998877469011, 0.9999975650954152]]),
    "differencesWave": LBFGSBReference(nit: 6, nfev: 21, status: 0, message: "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL", fun: -0.15257002986944332, x: [0.4194141254243671, 1.0], iterates: [[0.0, 1.0], [0.15317885318868965, 0.9455380313009518], [0.4334088014341438, 1.0], [0.4171854405133327, 1.0], [0.4194003899777539, 1.0], [0.4194141254243671, 1.0]]),
    "differencesMaxfun": LBFGSBReference(nit: 4, nfev: 33, status: 1, message: "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT", fun: 3.137775891916329, x: [-0.765151077725881, 0.5706178548865213], iterates: [[-0.999229991309573, 1.1295290378647915], [-1.0364357128922015, 1.100736331649967], [-1.0428290610581192, 1.0937746623862465], [-0.765151077725881, 0.5706178548865213]]),
]

/// The PB2 case (the last entry of lbfgs-gp-case.json, Ray 2.53's scaling, scikit-learn 1.9.1's
/// `GaussianProcessRegressor` with Ray's `TV_SquaredExp` and `fmin_l_bfgs_b`), printed by:
///
/// ```python
/// import json, numpy as np, scipy.optimize
/// from sklearn.gaussian_process import GaussianProcessRegressor
/// from ray.tune.schedulers.pb2_utils import TV_SquaredExp
/// case = json.load(open("/work/lbfgs-gp-case.json"))[-1]
/// X, y = np.array(case["X"], float), np.array(case["y"], float)
/// low = np.array([X[:, 0].min(), X[:, 1].min(), 0.0]); high = np.array([X[:, 0].max(), X[:, 1].max(), 1.0])
/// Xn = (X - low) / (high - low + 1e-8)
/// yn = np.clip((y - y.mean()) / (y.std() + 1e-8), -2, 2)
/// iterates, minimize = [], scipy.optimize.minimize
/// def recording(*args, **kwargs):
///     result = minimize(*args, callback=lambda intermediate_result: iterates.append(intermediate_result.x.tolist()), **kwargs)
///     print(f"nit: {result.nit}, nfev: {result.nfev}, status: {result.status}, message: {result.message!r}, fun: {result.fun!r}, x: {result.x.tolist()!r}")
///     return result
/// scipy.optimize.minimize = recording
/// gp = GaussianProcessRegressor(kernel=TV_SquaredExp(variance=1.0, lengthscale=1.0, epsilon=0.1),
///                               optimizer="fmin_l_bfgs_b", alpha=1e-10).fit(Xn, yn.reshape(-1, 1))
/// print(f"variance: {gp.kernel_.variance!r}, lengthscale: {gp.kernel_.lengthscale!r}, epsilon: {gp.kernel_.epsilon!r}, lml: {gp.log_marginal_likelihood_value_!r}")
/// print(f"iterates: {iterates!r}")
/// ```
let gpCaseReference = LBFGSBReference(
    nit: 18, nfev: 57, status: 2, message: "ABNORMAL: ", fun: -30.578079666786003, x: [0.2191388875764831, -5.749849156331302, -1.8810182213318185],
    iterates: [[3.817373490274061, -3.817373490274061, -1.812923897020291], [2.0573533107542596, -3.6766371025335443, -1.8809945962304098], [1.2111902888236274, -3.719642772485871, -1.9103938058307055], [0.366065684225258, -3.9884761641428472, -1.9322331153986416], [0.11150926416474022, -4.309557945794481, -1.9305592367487925], [0.18002653412253433, -4.46157525440082, -1.922832452106946], [0.2123506961710475, -4.716497456200448, -1.9130383311570613], [0.21808466388803546, -4.880185241411031, -1.907436225562623], [0.2187214176988251, -5.030187701552824, -1.9026095721387128], [0.2188648537700773, -5.154170813181152, -1.8987256236218284], [0.2189951592181235, -5.264412313981584, -1.895330246262443], [0.21898095618784055, -5.362304877864311, -1.8923840330617114], [0.21915736515345946, -5.4509457006557485, -1.8896950540774562], [0.21850688642090998, -5.532338416286242, -1.887521303164145], [0.21958394812424475, -5.609703282428321, -1.8851847372573585], [0.21868357462031052, -5.68500604684627, -1.8829501632006294], [0.2191396449502443, -5.749318813537703, -1.8810340380700497], [0.2191388875764831, -5.749849156331302, -1.8810182213318185]])
/// The fitted kernel and log marginal likelihood scikit-learn reports for the PB2 case.
let gpCaseFit = (variance: 1.2450041802934841, lengthscale: 0.0031832609350536936, epsilon: 0.1524348143301163,
                 logMarginalLikelihood: 30.578079666786003)
/// The PB2 case's raw rows (time, score before, lr) and targets.
let gpCaseRows: [[Double]] = [[4.0, 1.5, 0.05], [4.0, 1.98, 0.25], [6.0, 3.0, 0.05], [6.0, 3.96, 0.25], [6.0, 3.96, 0.25], [6.0, 3.96, 0.25], [8.0, 4.5, 0.05], [8.0, 5.94, 0.25], [8.0, 5.94, 0.25], [8.0, 5.94, 0.25], [10.0, 6.0, 0.05]]
let gpCaseTargets: [Double] = [0.75, 0.99, 0.75, 0.9900000000000002, 0.9900000000000002, 0.9900000000000002, 0.75, 0.9900000000000002, 0.9900000000000002, 0.9900000000000002, 0.75]

/// The reference problems in Swift, each written as the Python above computes it (the same
/// operations in the same order).
enum LBFGSBProblems {
    /// Rosenbrock's function and gradient.
    static func rosen(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        let a = 1 - x[0], b = x[1] - x[0] * x[0]
        return (a * a + 100 * b * b, [-2 * a - 400 * x[0] * b, 200 * b])
    }

    /// `(x - 3)^2 + 2 (y + 2)^2`.
    static func boxQuadratic(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        let dx = x[0] - 3, dy = x[1] + 2
        return (dx * dx + 2 * dy * dy, [2 * dx, 4 * dy])
    }

    /// The extended Rosenbrock function in 4 variables.
    static func chain(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        var f = 0.0
        var g = [Double](repeating: 0, count: 4)
        for i in 0..<3 {
            let a = 1 - x[i], b = x[i + 1] - x[i] * x[i]
            f += a * a + 100 * b * b
            g[i] += -2 * a - 400 * x[i] * b
            g[i + 1] += 200 * b
        }
        return (f, g)
    }

    /// A convex function with one-sided and missing bounds.
    static func mixed(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        let a = x[0] + 1, b = x[1] - 2, c = x[2] - 3
        let f = a * a + pow(b, 4) + 0.5 * (c * c) + x[0] * x[2]
        return (f, [2 * (x[0] + 1) + x[2], 4 * pow(b, 3), (x[2] - 3) + x[0]])
    }

    /// Rosenbrock, infinite where `x0 > 0.5`.
    static func cliff(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        x[0] > 0.5 ? (.infinity, [0, 0]) : rosen(x)
    }

    /// Rosenbrock, NaN (value and gradient) where `x0 > 0.5`.
    static func hole(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        x[0] > 0.5 ? (.nan, [.nan, .nan]) : rosen(x)
    }

    /// NaN everywhere, with a zero gradient.
    static func nanStart(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        (.nan, [0])
    }

    /// A bumpy function of two variables (value only).
    static func wave(_ x: [Double]) -> Double {
        sin(3 * x[0]) * cos(2 * x[1]) + 0.1 * (x[0] * x[0] + x[1] * x[1]) + 0.3 * x[0] * x[1]
    }
}

@Suite("BoundedLBFGS against SciPy's L-BFGS-B")
struct BoundedLBFGSTests {
    /// Whether `a` is within `tolerance` of `b`, relative to `max(|b|, 1)`; NaN matches NaN.
    func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= tolerance * Swift.max(abs(b), 1)
    }

    /// The largest deviation of `a` from `b`, relative to `max(|b|, 1)`.
    func deviation(_ a: [Double], _ b: [Double]) -> Double {
        var worst = 0.0
        for i in 0..<Swift.min(a.count, b.count) {
            if a[i].isNaN && b[i].isNaN { continue }
            worst = Swift.max(worst, abs(a[i] - b[i]) / Swift.max(abs(b[i]), 1))
        }
        return worst
    }

    /// Runs `optimizer` and checks every iterate, the counts, the status, the message and the
    /// final point and value against the reference named `name`.
    func check(_ name: String, _ result: BoundedLBFGS.Result, tolerance: Double = 1e-8,
               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let reference = try #require(lbfgsbReferences[name], sourceLocation: sourceLocation)
        try check(result, reference, name: name, tolerance: tolerance, sourceLocation: sourceLocation)
    }

    /// Compares `result` with `reference` (see ``check(_:_:tolerance:sourceLocation:)``).
    func check(_ result: BoundedLBFGS.Result, _ reference: LBFGSBReference, name: String, tolerance: Double,
               sourceLocation: SourceLocation = #_sourceLocation) throws {
        var worst = 0.0
        for (k, pair) in zip(result.iterates, reference.iterates).enumerated() {
            let d = deviation(pair.0, pair.1)
            worst = Swift.max(worst, d)
            #expect(d <= tolerance, "\(name): iterate \(k + 1) \(pair.0) vs SciPy's \(pair.1)", sourceLocation: sourceLocation)
        }
        print("BoundedLBFGS \(name): largest relative deviation of an iterate from SciPy's \(worst)")
        #expect(result.iterations == reference.nit, "\(name): nit", sourceLocation: sourceLocation)
        #expect(result.iterates.count == reference.iterates.count, "\(name): iterates", sourceLocation: sourceLocation)
        #expect(result.evaluations == reference.nfev, "\(name): nfev", sourceLocation: sourceLocation)
        #expect(result.status == reference.status, "\(name): status", sourceLocation: sourceLocation)
        #expect(result.termination.message == reference.message, "\(name): message", sourceLocation: sourceLocation)
        #expect(result.converged == (reference.status == 0), sourceLocation: sourceLocation)
        #expect(deviation(result.x, reference.x) <= tolerance, "\(name): x \(result.x) vs \(reference.x)", sourceLocation: sourceLocation)
        #expect(close(result.value, reference.fun, tolerance), "\(name): fun \(result.value) vs \(reference.fun)", sourceLocation: sourceLocation)
    }

    /// An optimizer that records its iterates, with SciPy's defaults otherwise.
    func optimizer(memory: Int = 10, maxIterations: Int = 15_000, maxEvaluations: Int = 15_000) -> BoundedLBFGS {
        var o = BoundedLBFGS(memory: memory, maxIterations: maxIterations, maxEvaluations: maxEvaluations)
        o.recordsIterates = true
        return o
    }

    @Test func rosenbrockInABox() throws {
        try check("rosenbrock", optimizer().minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5], LBFGSBProblems.rosen))
        // Three pairs kept: the memory wraps around many times.
        try check("rosenbrockMemory3", optimizer(memory: 3).minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5], LBFGSBProblems.rosen))
        // No bounds at all (the unconstrained path, without Cauchy point).
        try check("unbounded", optimizer().minimize([-1.2, 1], lower: [-.infinity, -.infinity], upper: [.infinity, .infinity], LBFGSBProblems.rosen))
    }

    @Test func activeBounds() throws {
        // The optimum (3, -2) lies outside [0, 1] x [-1, 1]: the corner, in one step.
        let box = optimizer().minimize([0.5, 0], lower: [0, -1], upper: [1, 1], LBFGSBProblems.boxQuadratic)
        try check("boxQuadratic", box)
        #expect(box.x == [1, -1])
        // The path meets the bounds of x0 (0.7) and x2 (0.6) after a few iterations.
        try check("chain", optimizer().minimize([-1, 0.5, -0.5, 1.5], lower: [-2, -2, -2, -2], upper: [0.7, 2, 0.6, 2], LBFGSBProblems.chain))
        // A lower bound only, an upper bound only, and a free variable.
        try check("oneSided", optimizer().minimize([0.5, 0, 0], lower: [0, -.infinity, -.infinity], upper: [.infinity, 1.5, .infinity], LBFGSBProblems.mixed))
    }

    @Test func nonFiniteValues() throws {
        // An infinite value: the line search steps back to the start of the search, SciPy's
        // rounding warning accepts it, and the relative reduction (zero) ends the run.
        try check("cliff", optimizer().minimize([-1.2, 1], lower: [-5, -5], upper: [.infinity, 5], LBFGSBProblems.cliff))
        // NaN: the search fails, the memory is cleared, it fails again: ABNORMAL, with SciPy's
        // `fun` the NaN last evaluated.
        try check("hole", optimizer().minimize([-1.2, 1], lower: [-5, -5], upper: [.infinity, 5], LBFGSBProblems.hole))
        // A zero projected gradient at the start converges at once, whatever the value.
        try check("nanStart", optimizer().minimize([0], lower: [-1], upper: [1], LBFGSBProblems.nanStart))
    }

    @Test func limits() throws {
        try check("maxiter", optimizer(maxIterations: 5).minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5], LBFGSBProblems.rosen))
        // As SciPy, the evaluations are checked only between iterations (6 > 5).
        try check("maxfun", optimizer(maxEvaluations: 5).minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5], LBFGSBProblems.rosen))
        try check("differencesMaxfun", optimizer(maxEvaluations: 20).minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5], valueOnly: { LBFGSBProblems.rosen($0).value }))
    }

    @Test func finiteDifferences() throws {
        var count = 0
        let rosen = optimizer().minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5]) { x in
            count += 1
            return LBFGSBProblems.rosen(x).value
        }
        // 1e-5: a forward difference divides a change of the value by the 1e-8 step, so a
        // last-bit difference in an iterate (SciPy's BLAS and LAPACK against plain loops) moves
        // the next gradient by ~1e-8 relative, and Rosenbrock's valley amplifies it over 34
        // iterations; the counts, the status and the end still agree.
        try check("differencesRosenbrock", rosen, tolerance: 1e-5)
        #expect(count == rosen.evaluations)
        // Ray's acquisition settings; the end is at the upper bound of x1, where the difference
        // steps backwards.
        try check("differencesWave", optimizer(maxIterations: 200, maxEvaluations: 200).minimize([0.3, 0.6], lower: [0, 0], upper: [1, 1], valueOnly: LBFGSBProblems.wave))
    }

    @Test func forwardDifferenceSteps() {
        // Inside the box: forward by 1e-8; at the upper bound: backwards; where the box is
        // narrower than the step: to the farther bound.
        var seen: [[Double]] = []
        let o = BoundedLBFGS()
        let g = o.forwardDifferenceGradient({ x in seen.append(x); return x[0] + 2 * x[1] + 3 * x[2] },
                                            at: [0.5, 1, 0], value: 2.5, lower: [0, 0, 0], upper: [1, 1, 5e-9])
        #expect(seen == [[0.5 + 1e-8, 1, 0], [0.5, 1 - 1e-8, 0], [0.5, 1, 5e-9]])
        #expect(abs(g[0] - 1) < 1e-6 && abs(g[1] - 2) < 1e-6 && abs(g[2] - 3) < 1e-6)
    }

    @Test func invalidInput() {
        let crossed = BoundedLBFGS().minimize([0], lower: [1], upper: [0], LBFGSBProblems.nanStart)
        #expect(crossed.termination == .infeasibleBounds && crossed.evaluations == 0 && !crossed.converged)
        let short = BoundedLBFGS().minimize([0, 0], lower: [-1, -1], upper: [1, 1]) { _ in (1, [1]) }
        #expect(short.termination == .invalidGradient && short.status == 2)
    }

    /// PB2's Gaussian-process fit on the case where the old optimizer ended at another optimum
    /// (variance 563, lengthscale 70, epsilon 1e-5, log marginal likelihood 39.09): scaled as Ray
    /// scales it and fitted by `TimeVaryingGP`, it now ends in scikit-learn's optimum.
    ///
    /// Not to 1e-6: the kernel matrix has duplicated rows, so with `alpha` = 1e-10 it is nearly
    /// singular (condition ~1e15 at the bounds the first line search visits), and the likelihood
    /// swifttune computes differs from scikit-learn's (NumPy and OpenBLAS) by up to 1e-2 at such
    /// points and ~1e-6 near the optimum. SciPy's path follows those rounding errors (its end is
    /// a line search failing in a flat valley), so the path here differs from the first iterate
    /// (by 4e-4) and the end lies a few percent along the valley: the likelihood agrees to 1e-6,
    /// variance and epsilon to 1e-2, the lengthscale to 10%.
    @Test func pb2GaussianProcessCase() throws {
        let bandit = PB2Bandit(bounds: [PB2Bandit.Bound(path: ["lr"], low: 0, high: 1)])
        let (low, high) = bandit.limits(gpCaseRows)
        let x = gpCaseRows.map { PB2Bandit.normalize($0, low: low, high: high) }
        let y = PB2Bandit.standardize(gpCaseTargets)
        let gp = try TimeVaryingGP(fitting: x, targets: y)
        print("BoundedLBFGS pb2GaussianProcess: variance \(gp.variance), lengthscale \(gp.lengthscale), epsilon \(gp.epsilon), lml \(gp.logMarginalLikelihood)")
        #expect(abs(gp.logMarginalLikelihood / gpCaseFit.logMarginalLikelihood - 1) < 1e-6)
        #expect(abs(gp.variance / gpCaseFit.variance - 1) < 1e-2)
        #expect(abs(gp.epsilon / gpCaseFit.epsilon - 1) < 1e-2)
        #expect(abs(gp.lengthscale / gpCaseFit.lengthscale - 1) < 0.1)
        // The optimizer's own path on this problem, beside SciPy's (printed, not asserted).
        let distances = TimeVaryingGP.Distances(x)
        var o = BoundedLBFGS()
        o.recordsIterates = true
        let run = o.minimize(TimeVaryingGP.start, lower: TimeVaryingGP.lowerBounds, upper: TimeVaryingGP.upperBounds) { theta in
            let (lml, gradient) = TimeVaryingGP.logMarginalLikelihood(theta, distances, y, gradient: true)
            return (-lml, gradient.map { -$0 })
        }
        let worst = zip(run.iterates, gpCaseReference.iterates).map { deviation($0, $1) }.max() ?? 0
        print("BoundedLBFGS pb2GaussianProcess: \(run.iterations) iterations (SciPy \(gpCaseReference.nit)), largest deviation \(worst)")
        #expect(abs(run.x[0] - gpCaseReference.x[0]) < 1e-2 && abs(run.x[2] - gpCaseReference.x[2]) < 1e-2)
    }
}
