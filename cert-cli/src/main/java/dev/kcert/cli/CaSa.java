package dev.kcert.cli;

import dev.kcert.cli.output.TabWriter;
import dev.kcert.core.keys.KeyAlgorithm;
import dev.kcert.core.kubeapi.ApiClient;
import dev.kcert.core.model.KcertException;
import dev.kcert.core.rotation.Outcome;
import dev.kcert.core.rotation.Phase;
import dev.kcert.core.rotation.Place;
import dev.kcert.core.rotation.Rotation;
import dev.kcert.core.rotation.SaRotation;
import dev.kcert.core.rotation.SaTokens;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kcert ca <command> --ca sa}: the service-account key pair's rotation ({@link SaRotation})
 * behind the same commands as the CAs'. What differs: no certificates, so no proof matrix beyond
 * the signing key; the cluster side is the list of legacy token Secrets and the key that signed
 * each; {@code --restart} is not offered (restart kube-apiserver and kube-controller-manager as the
 * phase says).
 */
final class CaSa {
  private CaSa() {}

  /** What each phase changes and restarts, for plan and help. */
  static String changes(Phase p) {
    return switch (p) {
      case NONE -> "";
      case PREPARED -> "makes a new key pair (the old key's algorithm, or --key-algorithm) in the"
          + " rotation folder; nothing the cluster reads changes";
      case TRUST_BOTH -> "sa.pub (the API server's --service-account-key-file) holds the old and the"
          + " new public key, old first; sa.key still signs";
      case REISSUED -> "sa.key (--service-account-signing-key-file, --service-account-private-key-file)"
          + " becomes the new key and sa.pub new,old: new tokens are signed by the new key";
      case TRUST_NEW -> "sa.pub holds the new public key alone (" + SaRotation.TOKEN_REFRESH_WAIT.toHours()
          + "h after reissue, once legacy token Secrets are signed again)";
      case FINISHED -> "the copy of the old key in the rotation folder is removed";
    };
  }

  static String restarts(Phase p) {
    return switch (p) {
      case TRUST_BOTH, TRUST_NEW -> "kube-apiserver";
      case REISSUED -> "kube-apiserver and kube-controller-manager";
      default -> "nothing";
    };
  }

  static void refuseRestart(boolean restart) {
    if (restart) {
      throw new IllegalArgumentException("--restart is not offered for --ca sa: restart the static"
          + " pods the phase names (kube-apiserver, kube-controller-manager) by hand");
    }
  }

  static int plan(SaRotation r, ApiClient api, CaCommand.Format format, PrintWriter out, PrintWriter err) {
    List<Place> places = r.inventory();
    Phase at = r.phase();
    List<SaTokens.LegacySecret> secrets = legacy(r, api, err, "the legacy token Secrets are not listed");
    if (format == CaCommand.Format.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ca", SaRotation.NAME);
      m.put("phase", at.command());
      m.put("places", CaCommand.placesJson(places));
      if (api != null) {
        m.put("cluster", clusterJson(api, secrets));
      }
      List<Map<String, Object>> phases = new ArrayList<>();
      for (Phase p : Phase.steps()) {
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("phase", p.command());
        pm.put("done", p.ordinal() <= at.ordinal());
        pm.put("changes", changes(p));
        pm.put("restarts", restarts(p));
        phases.add(pm);
      }
      m.put("phases", phases);
      CaCommand.printJson(out, "CaRotationPlan", m);
      return ExitCodes.OK;
    }
    out.print(CaCommand.placesTable(places));
    out.println();
    if (secrets != null) {
      out.println("Legacy token Secrets (" + api.server() + "):");
      out.print(secretsTable(secrets));
      out.println();
    }
    out.println("Phases of the rotation of sa (now: " + at.command() + "):");
    int i = 1;
    for (Phase p : Phase.steps()) {
      out.println((p.ordinal() <= at.ordinal() ? "  [done] " : "  [    ] ") + i++ + ". "
          + p.command() + ": " + changes(p));
      out.println("           restarts: " + restarts(p));
    }
    out.flush();
    return ExitCodes.OK;
  }

  static int prepare(SaRotation r, KeyAlgorithm algorithm, Path importKey, Path importPub,
      boolean dryRun, CaCommand.Format format, PrintWriter out) {
    Outcome o;
    if (importKey != null || importPub != null) {
      if (importKey == null || importPub == null) {
        throw new IllegalArgumentException("--ca sa imports with --import-key and --import-pub together");
      }
      o = r.importPair(importKey, importPub, dryRun);
    } else {
      o = r.prepare(algorithm, dryRun);
    }
    return CaCommand.report(out, format, o);
  }

  static int phase(SaRotation r, Phase phase, ApiClient api, boolean dryRun, boolean force,
      CaCommand.Format format, PrintWriter out, PrintWriter err) {
    if (phase == Phase.TRUST_NEW && !force && r.phase() == Phase.REISSUED) {
      List<SaTokens.LegacySecret> secrets = legacy(r, api, err,
          "legacy token Secrets signed by the old key are not checked");
      if (secrets != null) {
        List<SaTokens.LegacySecret> old = secrets.stream().filter(s -> s.signedBy().equals("old")).toList();
        if (!old.isEmpty()) {
          err.println("error: sa: trust-new refused: " + old.size() + " legacy token Secret(s) hold a"
              + " token signed by the old key: " + CaCluster.shortList(
                  old.stream().map(s -> s.namespace() + "/" + s.name()).toList())
              + "; have kube-controller-manager sign each again (" + old.get(0).regenerate()
              + "), or --force goes on");
          err.flush();
          return ExitCodes.ERROR;
        }
      }
    }
    Outcome o = r.advance(phase, dryRun, force);
    return CaCommand.report(out, format, o);
  }

  static int abort(SaRotation r, boolean dryRun, CaCommand.Format format, PrintWriter out) {
    return CaCommand.report(out, format, r.abort(dryRun));
  }

  static int status(SaRotation r, ApiClient api, Clock clock, CaCommand.Format format,
      PrintWriter out, PrintWriter err) {
    Rotation.Status s = r.status();
    String next = s.phase() == Phase.FINISHED ? "" : s.phase().next().map(Phase::command).orElse("");
    Instant reissued = r.reissuedAt().orElse(null);
    Instant ready = reissued == null ? null : reissued.plus(SaRotation.TOKEN_REFRESH_WAIT);
    List<SaTokens.LegacySecret> secrets = s.phase() == Phase.NONE ? null
        : legacy(r, api, err, "the legacy token Secrets are not checked");
    if (format == CaCommand.Format.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("ca", SaRotation.NAME);
      m.put("phase", s.phase().command());
      m.put("proven", s.problems().isEmpty());
      m.put("problems", s.problems());
      m.put("reissuedAt", reissued == null ? null : reissued.toString());
      m.put("trustNewFrom", ready == null ? null : ready.toString());
      m.put("next", next);
      m.put("places", CaCommand.placesJson(s.places()));
      if (api != null && s.phase() != Phase.NONE) {
        m.put("cluster", clusterJson(api, secrets));
      }
      CaCommand.printJson(out, "CaRotationStatus", m);
    } else {
      out.println("sa: phase " + s.phase().command()
          + (s.problems().isEmpty() ? ", proven on disk" : ", NOT proven on disk:"));
      s.problems().forEach(p -> out.println("  " + p));
      if (s.phase() == Phase.REISSUED && ready != null) {
        out.println("tokens: the new key signs since " + reissued + "; trust-new from " + ready
            + (clock.instant().isBefore(ready) ? " (the kubelets refresh projected tokens by then)" : " (now)"));
      }
      if (secrets != null) {
        long old = secrets.stream().filter(x -> x.signedBy().equals("old")).count();
        out.println("cluster: " + secrets.size() + " legacy token Secret(s), " + old
            + " signed by the old key" + (old == 0 ? "" : ":"));
        secrets.stream().filter(x -> x.signedBy().equals("old")).forEach(x ->
            out.println("  " + x.namespace() + "/" + x.name() + ": " + x.regenerate()));
      }
      if (!next.isEmpty()) {
        out.println("next: kcert ca " + next + " --ca sa");
      }
      out.flush();
    }
    return s.problems().isEmpty() ? ExitCodes.OK : ExitCodes.ERROR;
  }

  private static List<SaTokens.LegacySecret> legacy(SaRotation r, ApiClient api, PrintWriter err,
      String what) {
    if (api == null) {
      return null;
    }
    SaRotation.Keys keys;
    try {
      keys = r.keys();
    } catch (KcertException e) {
      return null;
    }
    try {
      return SaTokens.legacySecrets(api, keys.old(), keys.neu());
    } catch (ApiClient.Unreachable e) {
      CaCluster.warnUnreachable(err, api, e, what);
      return null;
    }
  }

  private static String secretsTable(List<SaTokens.LegacySecret> secrets) {
    TabWriter t = TabWriter.kubeadm().line("NAMESPACE\tSECRET\tSIGNED BY");
    for (SaTokens.LegacySecret s : secrets) {
      t.line(s.namespace() + "\t" + s.name() + "\t" + s.signedBy());
    }
    return t.render();
  }

  private static Map<String, Object> clusterJson(ApiClient api, List<SaTokens.LegacySecret> secrets) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("server", api.server());
    m.put("reachable", secrets != null);
    if (secrets != null) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (SaTokens.LegacySecret s : secrets) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("namespace", s.namespace());
        row.put("name", s.name());
        row.put("signedBy", s.signedBy());
        rows.add(row);
      }
      m.put("legacyTokenSecrets", rows);
    }
    return m;
  }
}
