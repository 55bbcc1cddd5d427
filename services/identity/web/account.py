"""Routes for credentials and recovery: codes, captcha, second factor, sessions, photos."""
from __future__ import annotations

from flask import Response, request
from sqlalchemy import select

from services.common.errors import DomainError, Forbidden, NotFound
from services.identity.adapters import captcha
from services.identity.adapters.orm import outbound_messages
from services.identity.domain.security import SECURITY_QUESTIONS
from services.identity.service_layer import (
    accounts,
    logins,
    photos,
    profile,
    recovery,
    sessions,
)
from services.identity.web import schemas
from services.identity.web.ratelimit import client_ip, user_agent


def register(api, runtime, limiter) -> None:
    cipher, keys = runtime.services["cipher"], runtime.services["keys"]
    gateway, max_photo = runtime.services["messages"], runtime.services["photo_max_bytes"]
    public_url = runtime.settings.public_base_url

    # --- sign-in steps ---------------------------------------------------------------------
    @api.route("/captchas", ["POST"], response=schemas.CaptchaOut, roles=None, status=201)
    def new_captcha():
        """A fresh image captcha (needed after failed sign-ins); single-use, 5 minutes."""
        limiter.hit("captcha")
        with runtime.uow() as uow:
            out = captcha.issue(uow)
            uow.commit()
        return out, 201

    @api.route("/tokens/totp", ["POST"], body=schemas.SecondFactorIn,
               response=schemas.TokensOut, roles=None)
    def second_factor(data):
        """Staff sign-in, step two: the ticket from ``totp_required`` plus the 6-digit code."""
        limiter.hit("sign_in")
        with runtime.uow() as uow:
            return accounts.second_factor(
                uow, cipher, keys, ip=client_ip(), user_agent=user_agent(),
                totp_replay_check=runtime.services["totp_replay_check"], **data)

    @api.route("/totp/enrolment", ["POST"], body=schemas.TicketIn,
               response=schemas.EnrolmentOut, roles=None)
    def totp_enrolment(data):
        """The authenticator secret and QR code for a ``totp_enrolment_required`` ticket, once."""
        limiter.hit("sign_in")
        with runtime.uow() as uow:
            return accounts.totp_enrolment(uow, ticket=data["ticket"])

    # --- recovery -------------------------------------------------------------------------
    @api.route("/security-questions", roles=None)
    def security_questions():
        """The security questions an account may choose from."""
        return {"questions": list(SECURITY_QUESTIONS)}

    @api.route("/recovery/username/code", ["POST"], body=schemas.UsernameCodeIn,
               response=schemas.CodeSentOut, roles=None)
    def username_code(data):
        """Forgot my user name: send a code to the phone bound to this document."""
        limiter.hit("codes")
        with runtime.uow() as uow:
            return recovery.send_username_code(uow, cipher, gateway, **data)

    @api.route("/recovery/username", ["POST"], body=schemas.UsernameRecoverIn, roles=None)
    def recover_username(data):
        """Forgot my user name: document number + phone code → the user name."""
        limiter.hit("recovery")
        with runtime.uow() as uow:
            return recovery.recover_username(uow, cipher, **data)

    @api.route("/recovery/password/options", ["POST"], body=schemas.LoginIn, roles=None)
    def reset_options(data):
        """Which reset ways this account has: security question, SMS, e-mail."""
        limiter.hit("recovery")
        with runtime.uow() as uow:
            return recovery.options(uow, cipher, data["login"])

    @api.route("/recovery/password/code", ["POST"], body=schemas.ResetCodeIn,
               response=schemas.CodeSentOut, roles=None)
    def reset_code(data):
        """Send an SMS code, or an e-mail with a single-use reset link."""
        limiter.hit("codes")
        with runtime.uow() as uow:
            return recovery.send_reset(uow, cipher, gateway, public_url, **data)

    @api.route("/recovery/password/verify", ["POST"], body=schemas.ResetVerifyIn, roles=None)
    def reset_verify(data):
        """SMS code or security answer → a reset token (15 minutes, single use)."""
        limiter.hit("recovery")
        with runtime.uow() as uow:
            return recovery.verify_for_reset(uow, cipher, data["login"], code=data.get("code"),
                                             answer=data.get("answer"))

    @api.route("/recovery/password/reset", ["POST"], body=schemas.ResetIn, roles=None)
    def reset(data):
        """Set a new password with a reset token or e-mail link token; all sessions end."""
        limiter.hit("recovery")
        with runtime.uow() as uow:
            return recovery.reset_password(uow, cipher, data["reset_token"],
                                           data["new_password"], ip=client_ip(),
                                           user_agent=user_agent())

    # --- my account -----------------------------------------------------------------------
    @api.route("/me/phone/code", ["POST"], body=schemas.PhoneCodeIn,
               response=schemas.CodeSentOut)
    def phone_code(data, principal):
        """Bind or change my phone: a code to the new phone (and to the old verified one)."""
        limiter.hit("codes")
        with runtime.uow() as uow:
            return profile.send_phone_codes(uow, cipher, gateway, principal.sub, data["phone"])

    @api.route("/me/phone", ["POST"], body=schemas.PhoneBindIn)
    def bind_phone(data, principal):
        """Bind my phone with its code (and the old phone's code when changing)."""
        with runtime.uow() as uow:
            profile.bind_phone(uow, cipher, principal.sub, **data)
        return {"bound": True}

    @api.route("/me/email/code", ["POST"], body=schemas.EmailCodeIn,
               response=schemas.CodeSentOut)
    def email_code(data, principal):
        """Bind or change my e-mail: a code to the address."""
        limiter.hit("codes")
        with runtime.uow() as uow:
            return profile.send_email_code(uow, cipher, gateway, principal.sub, data["email"])

    @api.route("/me/email", ["POST"], body=schemas.EmailBindIn)
    def bind_email(data, principal):
        """Bind my e-mail with its code."""
        with runtime.uow() as uow:
            profile.bind_email(uow, cipher, principal.sub, **data)
        return {"bound": True}

    @api.route("/me/password", ["POST"], body=schemas.PasswordChangeIn,
               response=schemas.TokensOut)
    def change_password(data, principal):
        """Change my password; other sessions are signed out, this one gets new tokens."""
        limiter.hit("recovery")
        with runtime.uow() as uow:
            return profile.change_password(uow, keys, principal.sub, ip=client_ip(),
                                           user_agent=user_agent(), **data)

    @api.route("/me/security-question", ["PUT"], body=schemas.SecurityQuestionIn)
    def security_question(data, principal):
        """Set my security question (password required)."""
        limiter.hit("recovery")
        with runtime.uow() as uow:
            profile.set_security_question(uow, principal.sub, **data)
        return {"saved": True}

    @api.route("/me/education", ["PUT"], body=schemas.EducationChangeIn)
    def change_education(data, principal):
        """Correct my education / degree claim (confirmed twice); verification re-checks it."""
        with runtime.uow() as uow:
            a = profile.change_education(uow, principal.sub, data["education"],
                                         data.get("degree"))
            return {"education": a.education, "degree": a.degree}

    @api.route("/me/name", ["PUT"], body=schemas.NameCorrectionIn)
    def correct_name(data, principal):
        """Correct my name, only after the public-security check said it does not match my
        document (409 ``name_locked`` otherwise); verification checks it again."""
        limiter.hit("recovery")
        with runtime.uow() as uow:
            a = profile.correct_name(uow, principal.sub, data["name"])
            return {"name": a.name}

    @api.route("/me/sessions", response=schemas.SessionOut)
    def my_sessions(principal):
        """Where I am signed in (one row per refresh-token family)."""
        with runtime.uow() as uow:
            return sessions.list_for(uow, principal.sub)

    @api.route("/me/sessions/revoke-all", ["POST"])
    def sign_out_everywhere(principal):
        """Sign out everywhere: every refresh family revoked."""
        with runtime.uow() as uow:
            n = sessions.revoke_all(uow, principal.sub)
            uow.commit()
        return {"revoked": n}

    @api.route("/me/logins", response=schemas.LoginEventOut)
    def my_logins(principal):
        """My login history: time, IP, user agent, result."""
        with runtime.uow() as uow:
            return logins.history(uow, principal.sub)

    # --- photo ----------------------------------------------------------------------------
    def _upload() -> bytes:
        f = request.files.get("photo")
        if f is None:
            raise DomainError("请选择要上传的照片", code="photo_missing", status=422, field="photo")
        data = f.read(max(max_photo, 12 * 1024 * 1024) + 1)
        return data

    @api.route("/me/photo")
    def my_photo(principal):
        """My photo: the locked one and any pending upload or change request."""
        with runtime.uow() as uow:
            return {**photos.mine(uow, principal.sub), "max_bytes": max_photo,
                    "width": 295, "height": 413}

    @api.route("/me/photo/preview", ["POST"])
    def photo_preview(principal):
        """Multipart ``photo`` (any picture) → the standard JPEG it becomes, to show first."""
        limiter.hit("photo")
        crop = None
        if request.form.get("crop"):
            try:
                crop = tuple(float(x) for x in request.form["crop"].split(","))[:4]
            except ValueError:
                crop = None
        return photos.preview(_upload(), max_photo, crop if crop and len(crop) == 4 else None)

    @api.route("/me/photo", ["POST"], status=201)
    def photo_upload(principal):
        """Multipart ``photo``: a real 295×413 JPEG under the size limit with white background."""
        with runtime.uow() as uow:
            return photos.upload(uow, principal.sub, _upload(), max_photo), 201

    @api.route("/me/photo/<photo_id>.jpg")
    def photo_image(photo_id, principal):
        """The JPEG itself: its owner, or staff who review photos."""
        from services.identity.adapters.orm import photos as t
        with runtime.uow() as uow:
            owner = uow.session.execute(select(t.c.account_id).where(t.c.id == photo_id)).scalar()
            if owner is None:
                raise NotFound("没有这张照片", code="photo_not_found")
            if owner != principal.sub and not principal.has_any("platform_admin", "reviewer"):
                raise Forbidden("无权查看该照片", code="role_required")
            data = photos.image(uow, photo_id)
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private"})

    # --- dev-only mailbox -----------------------------------------------------------------
    @api.route("/dev/messages", roles=None)
    def dev_messages():
        """Sandbox SMS and e-mail (not in production): what a candidate would have received."""
        if runtime.settings.production:
            raise NotFound("没有找到您要的内容")
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(outbound_messages).order_by(
                outbound_messages.c.created_at.desc()).limit(50)).all()
        return [{"channel": r.channel, "to": r.recipient_masked, "purpose": r.purpose,
                 "body": r.body, "created_at": r.created_at.isoformat()} for r in rows]
