/*
 * account_msgs.c - the texts of the account pages and e-mail, French
 * and English, in one table of their own, so that they move to gettext
 * msgids (tr() and po/en.po, as the site's other texts) in one place.
 */
#include "web_auth.h"

static const char *const texts[M_AUTH__MAX][2] = {
	[M_AUTH_SIGNIN] = {"Se connecter", "Sign in"},
	[M_AUTH_SIGNUP] = {"Créer un compte", "Create an account"},
	[M_AUTH_SIGNOUT] = {"Se déconnecter", "Sign out"},
	[M_AUTH_ACCOUNT] = {"Mon compte", "My account"},
	[M_AUTH_EMAIL] = {"Adresse e-mail", "E-mail address"},
	[M_AUTH_NAME] = {"Nom affiché (facultatif)", "Display name (optional)"},
	[M_AUTH_PASSWORD] = {"Mot de passe", "Password"},
	[M_AUTH_NEW_PASSWORD] = {"Nouveau mot de passe (8 caractères au moins)",
				 "New password (at least 8 characters)"},
	[M_AUTH_FORGOT] = {"Mot de passe oublié", "Forgotten password"},
	[M_AUTH_FORGOT_BUTTON] = {"Recevoir un lien", "Send me a link"},
	[M_AUTH_RESET] = {"Choisir un nouveau mot de passe",
			  "Choose a new password"},
	[M_AUTH_SAVE] = {"Enregistrer", "Save"},
	[M_AUTH_NO_ACCOUNT] = {"Pas encore de compte ?", "No account yet?"},
	[M_AUTH_SIGNUP_SENT] =
		{"Si cette adresse peut recevoir un compte, un lien de "
		 "confirmation vient de lui être envoyé. Suivez-le pour "
		 "activer votre compte, puis connectez-vous.",
		 "If this address can have an account, a confirmation link "
		 "has just been sent to it. Follow it to activate your "
		 "account, then sign in."},
	[M_AUTH_FORGOT_SENT] =
		{"Si un compte existe pour cette adresse, un lien pour "
		 "choisir un nouveau mot de passe vient de lui être envoyé ; "
		 "il est valable une heure.",
		 "If there is an account for this address, a link to choose a "
		 "new password has just been sent to it; it is valid for one "
		 "hour."},
	[M_AUTH_VERIFIED] =
		{"Votre adresse est confirmée. Vous pouvez vous connecter.",
		 "Your address is confirmed. You can sign in."},
	[M_AUTH_RESET_DONE] =
		{"Votre mot de passe est changé et toutes vos sessions sont "
		 "fermées. Connectez-vous avec le nouveau.",
		 "Your password is changed and all your sessions are closed. "
		 "Sign in with the new one."},
	[M_AUTH_LINK_BAD] = {"Ce lien est inconnu, déjà utilisé ou expiré.",
			     "This link is unknown, already used or expired."},
	[M_AUTH_BAD_LOGIN] = {"Adresse ou mot de passe incorrect.",
			      "Wrong address or password."},
	[M_AUTH_NOT_VERIFIED] =
		{"Confirmez d'abord votre adresse : suivez le lien reçu par "
		 "e-mail, ou demandez-en un nouveau avec « Mot de passe "
		 "oublié ».",
		 "Confirm your address first: follow the link you received by "
		 "e-mail, or ask for a new one with \"Forgotten password\"."},
	[M_AUTH_CSRF] =
		{"Ce formulaire a expiré ou ne vient pas de ce site : "
		 "rechargez la page et recommencez.",
		 "This form has expired or does not come from this site: "
		 "reload the page and try again."},
	[M_AUTH_TOO_MANY] =
		{"Trop de tentatives : réessayez dans quelques minutes.",
		 "Too many attempts: try again in a few minutes."},
	[M_AUTH_TOO_MANY_TITLE] = {"Trop de tentatives", "Too many attempts"},
	[M_AUTH_FORBIDDEN] = {"Accès refusé", "Forbidden"},
	[M_AUTH_NEED_ROLE] =
		{"Votre compte n'a pas le rôle que demande cette page.",
		 "Your account does not have the role this page requires."},
	[M_AUTH_BUSY] =
		{"Le serveur est très occupé : réessayez dans un instant.",
		 "The server is very busy: try again in a moment."},
	[M_AUTH_FORM_TYPE] = {"Ce formulaire doit être envoyé en "
			      "application/x-www-form-urlencoded.",
			      "This form must be sent as "
			      "application/x-www-form-urlencoded."},
	[M_AUTH_FORM_BAD] =
		{"Formulaire mal formé : un échappement %, un octet nul ou de "
		 "l'UTF-8 invalide.",
		 "Malformed form: a bad %-escape, a NUL byte or invalid "
		 "UTF-8."},
	[M_AUTH_BAD_EMAIL] = {"Cette adresse e-mail n'est pas valide.",
			      "This e-mail address is not valid."},
	[M_AUTH_BAD_PASSWORD] =
		{"Le mot de passe doit compter de 8 à 1024 octets.",
		 "The password must be 8 to 1024 bytes long."},
	[M_AUTH_SIGNED_IN_AS] = {"Connecté avec l'adresse",
				 "Signed in with the address"},
	[M_AUTH_ROLES] = {"Rôles", "Roles"},
	[M_AUTH_ROLE_CITIZEN] = {"citoyen", "citizen"},
	[M_AUTH_ROLE_CANDIDATE] = {"candidat", "candidate"},
	[M_AUTH_ROLE_EDITOR] = {"éditeur", "editor"},
	[M_AUTH_ROLE_ADMIN] = {"administrateur", "administrator"},
	[M_AUTH_VERIFIED_YES] = {"Adresse confirmée", "Address confirmed"},
	[M_AUTH_VERIFIED_NO] = {"Adresse non confirmée",
				"Address not confirmed"},
	[M_AUTH_USERS] = {"Comptes", "Accounts"},
	[M_AUTH_CREATED] = {"Créé le", "Created"},
	[M_AUTH_ALL_ELECTIONS] = {"toutes les élections", "all elections"},
	[M_AUTH_MAIL_VERIFY_SUBJECT] = {"Confirmez votre adresse pour agora",
					"Confirm your address for agora"},
	[M_AUTH_MAIL_VERIFY_TEXT] =
		{"Bonjour,\n\nPour confirmer votre adresse et activer votre "
		 "compte agora, suivez ce lien (valable trois jours) :",
		 "Hello,\n\nTo confirm your address and activate your agora "
		 "account, follow this link (valid for three days):"},
	[M_AUTH_MAIL_RESET_SUBJECT] = {"Nouveau mot de passe pour agora",
				       "New password for agora"},
	[M_AUTH_MAIL_RESET_TEXT] =
		{"Bonjour,\n\nPour choisir un nouveau mot de passe pour votre "
		 "compte agora, suivez ce lien (valable une heure, une seule "
		 "fois) :",
		 "Hello,\n\nTo choose a new password for your agora account, "
		 "follow this link (valid for one hour, once):"},
	[M_AUTH_MAIL_EXISTS_SUBJECT] = {"Votre compte agora",
					"Your agora account"},
	[M_AUTH_MAIL_EXISTS_TEXT] =
		{"Bonjour,\n\nQuelqu'un (vous, peut-être) a voulu créer un "
		 "compte agora avec cette adresse, qui en a déjà un. Si "
		 "c'était vous, connectez-vous ou choisissez un nouveau mot "
		 "de passe ici :",
		 "Hello,\n\nSomeone (you, perhaps) tried to create an agora "
		 "account with this address, which already has one. If it was "
		 "you, sign in or choose a new password here:"},
	[M_AUTH_MAIL_IGNORE] =
		{"Si vous n'êtes pas à l'origine de cette demande, ignorez ce "
		 "message.",
		 "If you did not ask for this, ignore this message."},
	[M_AUTH_HOME] = {"Accueil", "Home"},
	[M_AUTH_BAD_REQUEST] = {"Requête invalide", "Bad request"},
	[M_AUTH_ERROR] = {"Erreur", "Error"},
};

const char *amsg(const struct web_req *r, enum auth_msg id)
{
	return texts[id][r->lang == LANG_EN];
}
